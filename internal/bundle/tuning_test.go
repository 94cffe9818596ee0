package bundle

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/tuning"
)

const tuningYAML = `owner: secops@example.com
exceptions:
  - id: TUNE-001
    rules: [TH-IAM-003]
    match: {actor_arn: "arn:aws:iam::*:role/key-rotator-*", account: "111122223333"}
    set_severity: LOW
    owner: alice@example.com
    reason: sanctioned rotation
    expires: 2099-06-30
staged: [TH-IAM-002]
`

func TestBundleCarriesTheTuningFileSigned(t *testing.T) {
	kp := ecPair(t)
	f, lines, err := tuning.Parse("tuning.yaml", []byte(tuningYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := tuning.Validate("tuning.yaml", f, lines, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, packs := range []bool{true, false} {
		var buf bytes.Buffer
		srcs := examplePacks(t)
		if !packs {
			srcs = nil // a bundle may carry the tuning file alone
		}
		if err := Write(&buf, srcs, WriteOptions{Revision: "r1", Key: kp.private, Now: time.Now(), Tuning: doc}); err != nil {
			t.Fatal(err)
		}
		c, err := Read(bytes.NewReader(buf.Bytes()), "s3://b/rules.tar.gz", Options{Key: kp.public})
		if err != nil {
			t.Fatal(err)
		}
		if c.TuningName != "s3://b/rules.tar.gz#data.json:tuning" {
			t.Errorf("TuningName %q", c.TuningName)
		}
		p, err := tuning.Load(c.TuningName, c.Tuning, time.Now(), nil)
		if err != nil {
			t.Fatalf("the carried tuning file does not load: %v\n%s", err, c.Tuning)
		}
		if e := p.File.Exceptions[0]; e.ID != "TUNE-001" || e.Expires.String() != "2099-06-30" || e.Match.Account[0] != "111122223333" || !p.Staged("TH-IAM-002") {
			t.Errorf("round trip changed the file: %+v", p.File)
		}
		// Editing the signed tuning file (suppressing everything) breaks the signature.
		forged := rewrite(t, buf.Bytes(), func(name string, data []byte) []byte {
			if strings.HasSuffix(name, "data.json") {
				return bytes.Replace(data, []byte(`"LOW"`), []byte(`"INFORMATIONAL"`), 1)
			}
			return data
		}, nil)
		if _, err := Read(bytes.NewReader(forged), "s3://b/rules.tar.gz", Options{Key: kp.public}); err == nil {
			t.Fatal("a bundle whose tuning file was changed after signing was read")
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, nil, WriteOptions{Now: time.Now()}); err == nil {
		t.Fatal("an empty bundle was written")
	}
}
