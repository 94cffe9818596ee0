package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/testutil"
)

// keyPair is a signing key and its verification key, generated per test run (no private
// key is ever committed).
type keyPair struct{ private, public *Key }

func rsaPair(t testing.TB) keyPair {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pemPair(t, k, &k.PublicKey)
}

func ecPair(t testing.TB) keyPair {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pemPair(t, k, &k.PublicKey)
}

func pemPair(t testing.TB, priv, pub any) keyPair {
	t.Helper()
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})), "")
	if err != nil {
		t.Fatal(err)
	}
	vk, err := LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), "")
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{sk, vk}
}

// examplePacks are the repository's team packs (teams/).
func examplePacks(t testing.TB) []team.Source {
	t.Helper()
	srcs, err := team.Dirs([]string{filepath.Join(testutil.ModuleRoot(t), "teams")})
	if err != nil {
		t.Fatal(err)
	}
	return srcs
}

func write(t testing.TB, key *Key, revision string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, examplePacks(t), WriteOptions{Revision: revision, Key: key, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rewrite re-packs a bundle tarball with edit applied to every file's content and extra
// files added: what an attacker with write access to the bucket, but not the key, can do.
func rewrite(t testing.TB, b []byte, edit func(name string, data []byte) []byte, extra map[string]string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	put := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			data = edit(h.Name, data)
		}
		if data != nil {
			put(h.Name, data)
		}
	}
	for name, data := range extra {
		put(name, []byte(data))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSignedBundleRoundTrip(t *testing.T) {
	hs, err := LoadKey("a shared secret of enough length for HS256", "HS256")
	if err != nil {
		t.Fatal(err)
	}
	for name, kp := range map[string]keyPair{"RS256": rsaPair(t), "ES256": ecPair(t), "HS256": {hs, hs}} {
		t.Run(name, func(t *testing.T) {
			if kp.public.Algorithm != name {
				t.Fatalf("algorithm %s, want %s", kp.public.Algorithm, name)
			}
			c, err := Read(bytes.NewReader(write(t, kp.private, "build-7")), "s3://b/k", Options{Key: kp.public})
			if err != nil {
				t.Fatal(err)
			}
			if c.Revision != "build-7" || len(c.Sources) != 1 || c.Sources[0].Team != "payments" || c.Sources[0].Origin != "s3://b/k#teams/payments" {
				t.Fatalf("contents %+v", c)
			}
			p, err := team.Load(c.Sources[0], time.Now())
			if err != nil {
				t.Fatalf("pack from the bundle does not load: %v", err)
			}
			if p.File.Owner != "payments-secops@example.com" || len(p.Rules.Rules) != 1 || p.Rules.Rules[0].ID != "PAYMENTS-001" || len(p.File.BreakGlass) != 1 {
				t.Fatalf("pack %+v", p.File)
			}
		})
	}
}

func TestBundleVerificationRefuses(t *testing.T) {
	kp := rsaPair(t)
	signed := write(t, kp.private, "r1")
	cases := map[string]struct {
		bundle []byte
		key    *Key
		want   string
	}{
		"unsigned":          {write(t, nil, "r1"), kp.public, "missing .signatures.json"},
		"signed by another": {write(t, rsaPair(t).private, "r1"), kp.public, "failed to verify JWT signature"},
		"rule changed": {rewrite(t, signed, func(name string, data []byte) []byte {
			if strings.HasSuffix(name, ".rego") {
				return bytes.Replace(data, []byte("not from_deploy_role"), []byte("false"), 1)
			}
			return data
		}, nil), kp.public, "digest mismatch"},
		"team file changed": {rewrite(t, signed, func(name string, data []byte) []byte {
			if name == "/data.json" {
				changed := bytes.Replace(data, []byte(`"owner":"payments-secops@example.com"`), []byte(`"owner":"mallory@example.com"`), 1)
				if bytes.Equal(changed, data) {
					t.Fatal("data.json holds no owner to change")
				}
				return changed
			}
			return data
		}, nil), kp.public, "digest mismatch"},
		"file added": {rewrite(t, signed, nil, map[string]string{"/teams/payments/extra.rego": "package teams.payments.extra\n"}), kp.public, "not included in bundle signature"},
		"file removed": {rewrite(t, signed, func(name string, data []byte) []byte {
			return map[bool][]byte{true: nil, false: data}[strings.HasSuffix(name, ".rego")]
		}, nil), kp.public, "specified in bundle signatures but not found"},
		"ES key for RS bundle": {signed, ecPair(t).public, "verify"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.bundle), "s3://b/k", Options{Key: c.key})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bundle s3://b/k") {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// Without a key, an unsigned bundle is read (the detector warns that it is unverified).
	if _, err := Read(bytes.NewReader(write(t, nil, "r1")), "s3://b/k", Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestReadRejectsForeignContent(t *testing.T) {
	foreignData := func(dropManifest bool) []byte {
		return rewrite(t, write(t, nil, "r1"), func(name string, data []byte) []byte {
			switch {
			case name == "/data.json":
				return []byte(`{"teams": {}, "builtin": {"x": 1}}`)
			case name == "/.manifest" && dropManifest:
				return nil
			}
			return data
		}, nil)
	}
	if _, err := Read(bytes.NewReader(foreignData(false)), "b", Options{}); err == nil || !strings.Contains(err.Error(), "roots [teams] do not permit data at path '/builtin'") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Read(bytes.NewReader(foreignData(true)), "b", Options{}); err == nil || !strings.Contains(err.Error(), `top-level key "builtin"`) {
		t.Fatalf("without a manifest: err = %v", err)
	}
	b := rewrite(t, write(t, nil, "r1"), nil, map[string]string{"/lib/x.rego": "package teams.x\n"})
	if _, err := Read(bytes.NewReader(b), "b", Options{}); err == nil || !strings.Contains(err.Error(), "policy files live under teams/<team>/") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteRefusesInvalidPacks(t *testing.T) {
	srcs := examplePacks(t)
	srcs[0].TeamFile = []byte("owner: x\nroutes: {queue: y}\n")
	err := Write(io.Discard, srcs, WriteOptions{Now: time.Now()})
	if err == nil || !strings.Contains(err.Error(), "not writing a bundle with invalid team packs") || !strings.Contains(err.Error(), "team.yaml:2") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	if _, err := LoadKey("", ""); err == nil {
		t.Error("empty key accepted")
	}
	if _, err := LoadKey("not a key and not a file", ""); err == nil {
		t.Error("garbage accepted")
	}
	kp := ecPair(t)
	if _, err := LoadKey(kp.public.Material, "RS256"); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("RS256 with an EC key: %v", err)
	}
}
