package reload_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/reload"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/testutil"
	"github.com/trailhound/trailhound/rules"
)

// countingS3 counts the calls the watcher makes.
type countingS3 struct {
	reload.S3API
	heads, gets atomic.Int32
}

func (c *countingS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	c.heads.Add(1)
	return c.S3API.HeadObject(ctx, in, o...)
}

func (c *countingS3) GetObject(ctx context.Context, in *s3.GetObjectInput, o ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.gets.Add(1)
	return c.S3API.GetObject(ctx, in, o...)
}

func keyPair(t *testing.T) (private, public *bundle.Key) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if private, err = bundle.LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})), ""); err != nil {
		t.Fatal(err)
	}
	if public, err = bundle.LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), ""); err != nil {
		t.Fatal(err)
	}
	return private, public
}

// packs returns the example payments pack, and with extra a second rule beside it (the
// "next version" of the pack).
func packs(t *testing.T, extra string) []team.Source {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "payments")
	src := filepath.Join(testutil.ModuleRoot(t), "teams", "payments")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		if err := os.WriteFile(filepath.Join(dir, "extra.rego"), []byte(extra), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srcs, err := team.Dirs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	return srcs
}

func bundleBytes(t *testing.T, srcs []team.Source, key *bundle.Key, revision string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := bundle.Write(&buf, srcs, bundle.WriteOptions{Revision: revision, Key: key, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tamper changes a rule in a bundle without re-signing it.
func tamper(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	changed := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if strings.HasSuffix(h.Name, ".rego") && bytes.Contains(data, []byte("not from_deploy_role")) {
			data = bytes.Replace(data, []byte("not from_deploy_role"), []byte("false"), 1) // blind the rule
			changed = true
		}
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if !changed {
		t.Fatal("tamper: no rule changed")
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

const extraRule = `# METADATA
# title: Payments service user deleted
# custom:
#   id: PAYMENTS-002
#   severity: HIGH
#   events: [iam.amazonaws.com:DeleteUser]
#   remediation:
#     summary: Ask payments-secops.
package teams.payments.service_user_deleted

import data.teams.payments.parameters

alert contains {"msg": "deleted"} if input.requestParameters.userName in parameters.service_users
`

func ruleIDs(s *ruleset.Set) string {
	var ids []string
	for _, r := range s.Engine.Rules() {
		if r.Team == "payments" {
			ids = append(ids, r.ID)
		}
	}
	return strings.Join(ids, ",")
}

// TestWatcherOnMotoS3 serves bundles from moto S3: a signed bundle loads; a tampered, an
// unsigned and a wrongly signed one are refused with the last good rules in force; a new
// signed version is picked up without a restart; the ETag is checked at most once per
// interval.
func TestWatcherOnMotoS3(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := &countingS3{S3API: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
	raw := client.S3API.(*s3.Client)
	if _, err := raw.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: ptr("rules")}); err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) {
		t.Helper()
		if _, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: ptr("rules"), Key: ptr("teams.tar.gz"), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}

	builtin, err := rule.Load("builtin", ruleset.BuiltinTeam, "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	lib := builtin.Lib()
	base, err := ruleset.Build(ctx, builtin, nil, ruleset.Options{Lib: lib})
	if err != nil {
		t.Fatal(err)
	}
	private, public := keyPair(t)
	loc, err := reload.ParseS3URL("s3://rules/teams.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	build := func(ctx context.Context, body io.Reader, v reload.Version, current *ruleset.Set) (*ruleset.Set, error) {
		c, err := bundle.Read(body, loc.String(), bundle.Options{Key: public})
		if err != nil {
			return nil, err
		}
		return ruleset.Build(ctx, builtin, ruleset.Load(c.Sources, time.Now()), ruleset.Options{Lib: lib, Previous: current, Revision: c.Revision + " " + v.String()})
	}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const interval = 2 * time.Second
	w := reload.New(client, loc, base, build, reload.Options{Interval: interval, Now: func() time.Time { return now }})
	advance := func() { now = now.Add(interval) }

	put(bundleBytes(t, packs(t, ""), private, "v1"))
	s, v, changed := w.Current(ctx)
	if !changed || ruleIDs(s) != "PAYMENTS-001" || v.ETag == "" || !strings.HasPrefix(s.Revision, "v1 etag ") {
		t.Fatalf("signed bundle v1: changed %v rules %q version %+v revision %q", changed, ruleIDs(s), v, s.Revision)
	}
	v1 := s

	// Within the interval nothing is asked of S3.
	if s, _, changed := w.Current(ctx); changed || s != v1 || client.heads.Load() != 1 {
		t.Fatalf("checked within the interval: heads %d", client.heads.Load())
	}

	for name, b := range map[string][]byte{
		"tampered":          tamper(t, bundleBytes(t, packs(t, extraRule), private, "evil")),
		"unsigned":          bundleBytes(t, packs(t, extraRule), nil, "evil"),
		"signed by another": bundleBytes(t, packs(t, extraRule), func() *bundle.Key { k, _ := keyPair(t); return k }(), "evil"),
	} {
		put(b)
		advance()
		s, v, changed := w.Current(ctx)
		if changed || s != v1 || ruleIDs(s) != "PAYMENTS-001" || !strings.HasPrefix(s.Revision, "v1 ") {
			t.Fatalf("%s bundle: changed %v, rules %q, revision %q, version %v", name, changed, ruleIDs(s), s.Revision, v)
		}
	}
	// A refused ETag is not downloaded again.
	gets := client.gets.Load()
	advance()
	if _, _, changed := w.Current(ctx); changed || client.gets.Load() != gets {
		t.Fatalf("refused bundle downloaded again: gets %d -> %d", gets, client.gets.Load())
	}

	put(bundleBytes(t, packs(t, extraRule), private, "v2"))
	advance()
	s, v2, changed := w.Current(ctx)
	if !changed || ruleIDs(s) != "PAYMENTS-001,PAYMENTS-002" || !strings.HasPrefix(s.Revision, "v2 ") || v2.ETag == v.ETag {
		t.Fatalf("signed bundle v2 not picked up: changed %v rules %q revision %q", changed, ruleIDs(s), s.Revision)
	}

	// The bundle gone (or S3 unreachable): the active rules stay.
	if _, err := raw.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: ptr("rules"), Key: ptr("teams.tar.gz")}); err != nil {
		t.Fatal(err)
	}
	advance()
	if again, v, changed := w.Current(ctx); changed || again != s || v != v2 {
		t.Fatalf("bundle deleted: changed %v version %v", changed, v)
	}
}

func TestParseS3URL(t *testing.T) {
	if l, err := reload.ParseS3URL("s3://bucket/path/to/b.tar.gz"); err != nil || l.Bucket != "bucket" || l.Key != "path/to/b.tar.gz" || l.String() != "s3://bucket/path/to/b.tar.gz" {
		t.Fatalf("%+v %v", l, err)
	}
	for _, bad := range []string{"", "https://bucket/key", "s3://bucket", "s3://bucket/", "s3:///key"} {
		if _, err := reload.ParseS3URL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func ptr(s string) *string { return &s }
