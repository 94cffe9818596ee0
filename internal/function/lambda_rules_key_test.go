package function

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/cli"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

// writeKeyPair writes an ECDSA P-256 key pair as PEM files (private.pem, public.pem) in dir.
func writeKeyPair(t *testing.T, dir string) (private, public string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	private, public = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	if err := os.WriteFile(private, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(public, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return private, public
}

// TestRulesPublicKeyFromSSM follows deploy/README.md (Team rule packs) on moto: the bundle
// made by `detector rules bundle --signing-key`, uploaded with `aws s3 cp`, and the
// multi-line PEM public key stored with `aws ssm put-parameter --value file://public.pem`.
// The handler given RULES_PUBLIC_KEY_PARAMETER verifies the bundle with it; a parameter
// holding another key refuses the bundle.
func TestRulesPublicKeyFromSSM(t *testing.T) {
	testutil.NeedTool(t, "aws")
	testutil.StartMoto(t)
	ctx := context.Background()
	dir := t.TempDir()
	private, public := writeKeyPair(t, dir)
	_, otherPublic := writeKeyPair(t, t.TempDir())
	queue := awsCLI(t, "sqs", "create-queue", "--queue-name", "triage")["QueueUrl"].(string)

	teams := testutil.TeamPacks(t, nil)
	tarball := filepath.Join(dir, "teams.tar.gz")
	var out, errw bytes.Buffer
	if code := cli.Run(ctx, []string{"rules", "bundle", "--out", tarball, "--signing-key", private, "--revision", "r1", teams}, strings.NewReader(""), &out, &errw); code != cli.ExitOK {
		t.Fatalf("rules bundle: exit %d: %s", code, errw.String())
	}
	awsCLI(t, "s3api", "create-bucket", "--bucket", "my-rules-bucket")
	awsCLI(t, "s3", "cp", "--quiet", tarball, "s3://my-rules-bucket/trailhound/teams.tar.gz")
	awsCLI(t, "ssm", "put-parameter", "--name", "/trailhound/rules-public-key", "--type", "String", "--value", "file://"+public)
	awsCLI(t, "ssm", "put-parameter", "--name", "/trailhound/other-key", "--type", "String", "--value", "file://"+otherPublic)
	stored := awsCLI(t, "ssm", "get-parameter", "--name", "/trailhound/rules-public-key")["Parameter"].(map[string]any)["Value"].(string)
	if pemText, _ := os.ReadFile(public); strings.TrimSpace(stored) != strings.TrimSpace(string(pemText)) {
		t.Fatalf("the parameter holds %q, not the PEM file", stored)
	}

	start := func(parameter string) (string, error) {
		vars := map[string]string{
			"ALERT_QUEUE_URL":                     queue,
			"ENRICH":                              "false",
			settings.RulesBundle.Name:             "s3://my-rules-bucket/trailhound/teams.tar.gz",
			settings.RulesPublicKeyParameter.Name: parameter,
		}
		var logs syncBuffer
		_, err := newLambdaHandler(ctx, func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{})
		return logs.String(), err
	}
	logs, err := start("/trailhound/rules-public-key")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs, `"msg":"rules active","revision":"revision r1, etag `) || strings.Contains(logs, "not verified") {
		t.Fatalf("the bundle was not verified and activated with the key from SSM:\n%s", logs)
	}
	logs, err = start("/trailhound/other-key")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs, "rules bundle refused") || strings.Contains(logs, "revision r1") {
		t.Fatalf("a bundle signed with another key was not refused:\n%s", logs)
	}
	if _, err := start("/trailhound/missing"); err == nil || !strings.Contains(err.Error(), "RULES_PUBLIC_KEY_PARAMETER") || !strings.Contains(err.Error(), "/trailhound/missing") {
		t.Errorf("missing parameter: %v", err)
	}
}

// TestRulesKeyMaterialRefusesBothSettings: the function refuses to start with both key
// settings, before it reads any parameter (settings.LoadBundle refuses them).
func TestRulesKeyMaterialRefusesBothSettings(t *testing.T) {
	env := map[string]string{"ALERT_QUEUE_URL": "http://127.0.0.1:1/q", settings.RulesBundle.Name: "s3://b/k",
		settings.RulesPublicKey.Name: "-----BEGIN PUBLIC KEY-----", settings.RulesPublicKeyParameter.Name: "/k"}
	var logs bytes.Buffer
	_, err := newLambdaHandler(context.Background(), func(k string) string { return env[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both set: err %v", err)
	}
	// The key as text: no parameter read.
	called := false
	material, from, err := rulesKeyMaterial(context.Background(), func() parameterAPI { called = true; return nil }, settings.Bundle{PublicKey: "pem"})
	if err != nil || material != "pem" || from != settings.RulesPublicKey.Name || called {
		t.Fatalf("key as text: %q from %s, err %v, SSM called %t", material, from, err, called)
	}
}
