package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

func smallConfig() Config {
	c := Default()
	c.Records, c.Files = 2000, 8
	return c
}

func TestPlanLayoutAndShares(t *testing.T) {
	c := smallConfig()
	files := Plan(c)
	if len(files) != 8 {
		t.Fatalf("%d files", len(files))
	}
	records, iam := 0, 0
	for _, f := range files {
		records += f.Records
		iam += f.IAM
		if f.Region != "us-east-1" && f.IAM != 0 {
			t.Errorf("%s: IAM events outside us-east-1", f.Key)
		}
	}
	if records != 2000 || iam != 20 {
		t.Fatalf("records %d, iam %d; want 2000, 20", records, iam)
	}
	want := "AWSLogs/o-exampleorg1/111122223333/CloudTrail/us-east-1/2024/03/18/111122223333_CloudTrail_us-east-1_20240318T0005Z_"
	if got := files[0].Key; len(got) != len(want)+16+len(".json.gz") || got[:len(want)] != want {
		t.Fatalf("key %q, want prefix %q", got, want)
	}
	if files[4].Time != files[0].Time.Add(5*time.Minute) {
		t.Fatalf("slot 1 at %v", files[4].Time)
	}
}

func TestRecordsAreRealistic(t *testing.T) {
	c := smallConfig()
	c.IAMPercent = 20 // enough IAM events for a stable average
	sizes := map[bool][]int{}
	names := map[string]int{}
	for _, f := range Plan(c) {
		err := EachRecord(c, f, func(rec []byte, iam bool) error {
			var m map[string]any
			if err := json.Unmarshal(rec, &m); err != nil {
				t.Fatalf("%s: %v\n%s", f.Key, err, rec)
			}
			if src := m["eventSource"]; (src == "iam.amazonaws.com") != iam {
				t.Fatalf("iam=%v but eventSource %v", iam, src)
			}
			names[m["eventName"].(string)]++
			sizes[iam] = append(sizes[iam], len(rec))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for iam, s := range sizes {
		total := 0
		for _, n := range s {
			total += n
		}
		if avg := total / len(s); avg < 1500 || avg > 2500 {
			t.Errorf("iam=%v: average record %d bytes, want 1.5-2.5 KB", iam, avg)
		}
	}
	t.Logf("event names: %v", names)
}

func TestWriteTreeIsDeterministic(t *testing.T) {
	c := smallConfig()
	a, b := t.TempDir(), t.TempDir()
	files, err := WriteTree(context.Background(), a, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteTree(context.Background(), b, c, 4); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		x, err := os.ReadFile(filepath.Join(a, f.Key))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f.Key))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs between runs", f.Key)
		}
		for rec, err := range event.RecordsBytes(f.Key, x) {
			if err != nil {
				t.Fatal(err)
			}
			if rec.RecipientAccountID != f.Account || rec.AWSRegion != f.Region {
				t.Fatalf("%s: record of %s/%s", f.Key, rec.RecipientAccountID, rec.AWSRegion)
			}
			n++
		}
	}
	if n != c.Records {
		t.Fatalf("decoded %d records, want %d", n, c.Records)
	}
}

// IAMRecords yields exactly the IAM records EachRecord marks, in trail order, as copies the
// caller keeps, and stops when the caller does.
func TestIAMRecords(t *testing.T) {
	c := smallConfig()
	var want []string
	for _, f := range Plan(c) {
		if err := EachRecord(c, f, func(rec []byte, iam bool) error {
			if iam {
				want = append(want, f.Key+" "+string(rec))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	var kept [][]byte
	for key, rec := range IAMRecords(c) {
		got = append(got, key+" "+string(rec))
		kept = append(kept, rec)
	}
	if len(want) != 20 || !slices.Equal(got, want) {
		t.Fatalf("got %d records, want the %d IAM records in order", len(got), len(want))
	}
	for i, rec := range kept {
		if !strings.HasSuffix(want[i], string(rec)) {
			t.Fatalf("record %d changed after it was yielded", i)
		}
	}
	n := 0
	for range IAMRecords(c) {
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("stopped after %d", n)
	}
}
