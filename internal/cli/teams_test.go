package cli

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

func writeRecords(t *testing.T, recs ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(recs, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func ruleTeams(t *testing.T, stdout string) []string {
	t.Helper()
	var out []string
	for _, a := range alertsOf(t, stdout) {
		out = append(out, a.Rule.ID+"/"+a.Rule.Team)
	}
	slices.Sort(out)
	return out
}

// TestScanWithABrokenTeamPack is the isolation contract: with two team packs, one broken,
// the healthy team's and the built-in alerts are still raised, the broken pack is reported
// by name (stderr, a health alert, rule_error for its events) and scan exits with status 2.
func TestScanWithABrokenTeamPack(t *testing.T) {
	root := testutil.TeamPacks(t, nil)
	events := writeRecords(t, testutil.ServiceKeyCreated, reactivation, testutil.UserDeleted)
	for name, args := range map[string][]string{
		"directory of packs": {"--rules", root},
		"one flag per pack":  {"--rules", filepath.Join(root, "payments"), "--rules", filepath.Join(root, "ledger")},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"scan", "--format", "json", events}, args...)...)
			if r.code != ExitPartial {
				t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
			}
			got := ruleTeams(t, r.stdout)
			want := []string{"PAYMENTS-001/payments", "TH-HEALTH-001/ledger", "TH-IAM-001/builtin", "TH-IAM-003/builtin"}
			if !slices.Equal(got, want) {
				t.Fatalf("alerts %v, want %v; stderr:\n%s", got, want, r.stderr)
			}
			for _, s := range []string{
				"team ledger: rule pack " + filepath.ToSlash(filepath.Join(root, "ledger")) + " is not loaded",
				"undefined function ledger_user",
				"events.jsonl:3 (record 2): team ledger: rule pack",
				"rule_error=1",
			} {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}
	// Without team packs the same input is clean.
	if r := runCLI(t, "", "scan", "--format", "json", events); r.code != ExitOK || slices.Contains(ruleTeams(t, r.stdout), "PAYMENTS-001/payments") {
		t.Fatalf("no --rules: exit %d\n%s", r.code, r.stderr)
	}
	// TEAMS_CONFIG stands in for --rules.
	t.Setenv(settings.TeamsConfig.Name, filepath.Join(root, "payments"))
	if r := runCLI(t, "", "scan", "--format", "json", events); r.code != ExitOK || !slices.Contains(ruleTeams(t, r.stdout), "PAYMENTS-001/payments") {
		t.Fatalf("TEAMS_CONFIG: exit %d\n%s", r.code, r.stderr)
	}
}

func TestScanTeamSuppressionAndBreakGlass(t *testing.T) {
	expires := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	root := testutil.TeamPacks(t, func(s string) string {
		return strings.Replace(s, "suppressions: []", `suppressions:
  - id: PAYMENTS-S-001
    match: {actor_arn: "arn:aws:iam::111122223333:user/ali*", source_ip: 198.51.100.0/24}
    owner: alice@example.com
    reason: key rotation runbook RB-12
    expires: `+expires, 1)
	})
	// The break-glass role, from an address the suppression also covers: raised, not
	// suppressed.
	glass := strings.Replace(testutil.ServiceKeyCreated, `{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"}`,
		`{"type":"AssumedRole","principalId":"AROAEXAMPLEGLASS0001:incident-42","arn":"arn:aws:sts::111122223333:assumed-role/payments-break-glass/incident-42","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEGLASS0001","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEGLASS0001","arn":"arn:aws:iam::111122223333:role/payments-break-glass","accountId":"111122223333","userName":"payments-break-glass"}}}`, 1)
	glass = strings.Replace(glass, "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "7a6b5c4d-3e2f-4a1b-9c8d-000000000001", 1)
	if glass == testutil.ServiceKeyCreated {
		t.Fatal("break-glass record unchanged")
	}
	r := runCLI(t, "", "scan", "--format", "json", "--rules", filepath.Join(root, "payments"), writeRecords(t, testutil.ServiceKeyCreated, reactivation, glass))
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var raised []string
	for _, a := range alertsOf(t, r.stdout) {
		raised = append(raised, a.Rule.ID+"/"+a.Actor.Name+"/"+a.Severity)
		if a.Rule.ID == "PAYMENTS-001" && a.Context["break_glass"] == nil {
			t.Errorf("break-glass alert without context.break_glass: %+v", a.Context)
		}
	}
	slices.Sort(raised)
	want := []string{"PAYMENTS-001/payments-break-glass/CRITICAL", "TH-IAM-001/mallory/HIGH", "TH-IAM-003/alice/HIGH", "TH-IAM-003/payments-break-glass/HIGH"}
	if !slices.Equal(raised, want) {
		t.Fatalf("alerts %v, want %v (alice's PAYMENTS-001 suppressed, the break-glass one raised to CRITICAL)\n%s", raised, want, r.stderr)
	}
	for _, s := range []string{"suppressed by PAYMENTS-S-001 (team payments, owner alice@example.com, expires " + expires + "): key rotation runbook RB-12", "by suppression: PAYMENTS-S-001=1"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
	// An expired suppression fails the pack: it is reported, not silently ignored.
	old := testutil.TeamPacks(t, func(s string) string {
		return strings.Replace(s, "suppressions: []", "suppressions:\n  - id: PAYMENTS-S-009\n    match: {account: \"111122223333\"}\n    owner: bob@example.com\n    reason: migration\n    expires: 2025-01-31", 1)
	})
	r = runCLI(t, "", "scan", "--format", "json", "--rules", filepath.Join(old, "payments"), writeRecords(t, testutil.ServiceKeyCreated))
	if r.code != ExitPartial || !strings.Contains(r.stderr, "suppression PAYMENTS-S-009: expired on 2025-01-31") || !strings.Contains(r.stderr, "payments/team.yaml:") {
		t.Fatalf("expired suppression: exit %d\n%s", r.code, r.stderr)
	}
}

// TestExampleTeamPackPassesRulesTest runs `detector rules test teams/payments` as CI does.
func TestExampleTeamPackPassesRulesTest(t *testing.T) {
	dir := filepath.Join(testutil.ModuleRoot(t), "teams", "payments")
	r := runCLI(t, "", "rules", "test", dir)
	if r.code != ExitOK || !strings.Contains(r.stdout, "ok team payments") || !strings.Contains(r.stdout, "coverage: ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, "", "rules", "lint", filepath.Join(testutil.ModuleRoot(t), "teams")); r.code != ExitOK {
		t.Fatalf("rules lint teams: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestRulesLintAndTestReportProblems(t *testing.T) {
	root := testutil.TeamPacks(t, func(s string) string {
		return strings.Replace(s, "ids: [TH-IAM-001]", "ids: [TH-IAM-999]", 1)
	})
	r := runCLI(t, "", "rules", "lint", root)
	if r.code != ExitPartial {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	for _, s := range []string{"FAIL team ledger", "undefined function ledger_user", "FAIL team payments", "subscriptions.ids: TH-IAM-999 is not a built-in rule"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("lint output lacks %q:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 of 2 team pack(s) failed") {
		t.Errorf("stderr %q", r.stderr)
	}
	// Coverage under the threshold fails `rules test`.
	r = runCLI(t, "", "rules", "test", "--min-coverage", "100.1", filepath.Join(testutil.ModuleRoot(t), "teams", "payments"))
	if r.code != ExitPartial || !strings.Contains(r.stdout, "FAIL team payments") {
		t.Fatalf("coverage threshold: exit %d\n%s", r.code, r.stdout)
	}
}

func TestRulesBundleCommand(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "signing.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "teams.tar.gz")
	r := runCLI(t, "", "rules", "bundle", "--out", out, "--signing-key", keyFile, "--revision", "abc123", filepath.Join(testutil.ModuleRoot(t), "teams"))
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := bundle.LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := bundle.Read(bytes.NewReader(b), out, bundle.Options{Key: pub})
	if err != nil || c.Revision != "abc123" || len(c.Sources) != 1 {
		t.Fatalf("bundle: %v %+v", err, c)
	}
	// A pack that does not validate is never bundled.
	r = runCLI(t, "", "rules", "bundle", "--out", filepath.Join(dir, "x.tar.gz"), testutil.TeamPacks(t, func(s string) string { return s + "\nbogus: 1\n" }))
	if r.code != ExitPartial || !strings.Contains(r.stderr, "bogus") {
		t.Fatalf("invalid pack bundled: exit %d\n%s", r.code, r.stderr)
	}
}

// A deployment with team packs derives its EventBridge pattern from them too; a broken pack
// is refused rather than silently left out of the routing.
func TestPatternIncludesTeamEvents(t *testing.T) {
	root := testutil.TeamPacks(t, nil)
	if r := runCLI(t, "", "pattern"); r.code != ExitOK || strings.Contains(r.stdout, `"DeleteUser"`) {
		t.Fatalf("built-in pattern: exit %d, DeleteUser routed without the ledger pack?\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runCLI(t, "", "pattern", "--rules", root)
	if r.code != ExitPartial || !strings.Contains(r.stderr, "ledger") || r.stdout != "" {
		t.Fatalf("pattern with a broken pack: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	fixed := strings.Replace(testutil.BrokenLedgerRule, `ledger_user(input.requestParameters.userName)`, `input.requestParameters.userName == "ledger-svc"`, 1)
	if err := os.WriteFile(filepath.Join(root, "ledger", "user_deleted.rego"), []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "pattern", "--rules", root)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"DeleteUser"`) || !strings.Contains(r.stdout, `"UpdateAccessKey"`) {
		t.Fatalf("pattern with the ledger pack: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "rules", "list", "--rules", root)
	if r.code != ExitOK || !strings.Contains(r.stdout, "LEDGER-001") || !strings.Contains(r.stdout, "PAYMENTS-001") {
		t.Fatalf("rules list --rules: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A team template that puts a placeholder inside shell quotes is refused by `rules lint` and
// `rules test`: a user name `$(id)` would otherwise run when the analyst pastes the command.
func TestRulesLintRefusesQuotedPlaceholder(t *testing.T) {
	root := testutil.TeamPacks(t, nil)
	if err := os.RemoveAll(filepath.Join(root, "ledger")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "payments", "service_user_key_changed.rego")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	from := `"aws iam list-access-keys --user-name {{target.user_name}}"`
	src := strings.Replace(string(b), from, `'aws iam get-user --user-name "{{target.user_name}}"'`, 1)
	if src == string(b) {
		t.Fatalf("fixture changed: %s not found", from)
	}
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"lint", "test"} {
		r := runCLI(t, "", "rules", cmd, root)
		if r.code != ExitPartial || !strings.Contains(r.stdout+r.stderr, "placeholder {{target.user_name}} stands inside double quotes") {
			t.Errorf("rules %s: exit %d\nstdout:\n%s\nstderr:\n%s", cmd, r.code, r.stdout, r.stderr)
		}
	}
}
