package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

// fakeTerminal stands in for a terminal on stdin or stdout (isTerminal, isTerminalReader).
type fakeTerminal struct{ bytes.Buffer }

func (*fakeTerminal) IsTerminal() bool { return true }

// runWith runs the CLI with the given stdin and stdout.
func runWith(t *testing.T, in *fakeTerminal, out *fakeTerminal, args ...string) cliResult {
	t.Helper()
	var errw bytes.Buffer
	code := Run(context.Background(), args, in, out, &errw)
	return cliResult{code, out.String(), errw.String()}
}

// TestHelpExitsZero: help, every command's and every rules subcommand's --help print their
// usage on stdout and exit 0, with nothing on stderr.
func TestHelpExitsZero(t *testing.T) {
	cases := [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "scan"}, {"help", "rules"}, {"help", "rules", "list"}, {"rules", "--help"}, {"rules", "-h"}}
	for name := range commands {
		cases = append(cases, []string{name, "--help"}, []string{name, "-h"})
	}
	for _, sub := range []string{"list", "test", "lint", "bundle", "doc"} {
		cases = append(cases, []string{"rules", sub, "--help"})
	}
	for _, args := range cases {
		r := runCLI(t, "", args...)
		if r.code != ExitOK || !strings.Contains(r.stdout, "usage: detector") || r.stderr != "" {
			t.Errorf("detector %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	// No command at all is a usage error; the usage goes to stderr.
	if r := runCLI(t, ""); r.code != ExitUsage || !strings.Contains(r.stderr, "usage: detector") || r.stdout != "" {
		t.Errorf("detector: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestErrorPrintedOnce: a usage error is one line on stderr, naming the problem and how to
// get help; nothing on stdout.
func TestErrorPrintedOnce(t *testing.T) {
	for _, args := range [][]string{
		{"scan", "--nope", "-"},
		{"rules", "nope"},
		{"rules"},
		{"scna"},
		{"replay", "--workers", "x", "."},
		{"scan", "--format", "xml", "-"},
		{"scan", "--color", "pink", "-"},
	} {
		r := runCLI(t, reactivation, args...)
		lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
		if r.code != ExitUsage || len(lines) != 1 || !strings.HasPrefix(lines[0], "detector: ") || r.stdout != "" {
			t.Errorf("detector %s: exit %d, stdout %q, stderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}

// TestVersion: version and --version print the module version, the VCS revision the binary
// was built from and the Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := runCLI(t, "", args...)
		if r.code != ExitOK || !strings.HasPrefix(r.stdout, "detector ") || !strings.Contains(r.stdout, runtime.Version()) || r.stderr != "" {
			t.Errorf("detector %v: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
	// A binary built with VCS stamping in a git clone (the go command looks for a .git
	// directory: a worktree's .git file is not one) names the commit it was built from.
	root := testutil.ModuleRoot(t)
	if st, err := os.Stat(filepath.Join(root, ".git")); err != nil || !st.IsDir() {
		t.Skip("skipped: the module root has no .git directory (a git worktree, or no clone), so go build stamps no revision; the stamped binary is not checked")
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("skipped: git rev-parse HEAD: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "detector")
	if b, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "../../cmd/detector").CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=true: %v\n%s", err, b)
	}
	out, err := exec.Command(bin, "version").Output()
	if want := "revision " + strings.TrimSpace(string(head)); err != nil || !strings.Contains(string(out), want) {
		t.Fatalf("version of a VCS-stamped build: %q (%v), want %q", out, err, want)
	}
}

// TestScanManners: no PATH on a terminal prints the usage instead of waiting; a PATH that
// does not exist is a usage error; an input without records says so; directory walks match
// extensions in any case.
func TestScanManners(t *testing.T) {
	r := runWith(t, &fakeTerminal{}, &fakeTerminal{}, "scan")
	if r.code != ExitUsage || !strings.Contains(r.stdout, "usage: detector scan") || !strings.Contains(r.stderr, "stdin is a terminal") {
		t.Errorf("scan on a terminal: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.json")
	r = runCLI(t, "", "scan", missing)
	if r.code != ExitUsage || strings.Count(r.stderr, missing) != 1 || !strings.Contains(r.stderr, "no such file or directory") {
		t.Errorf("scan of a missing path: exit %d, stderr %q", r.code, r.stderr)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte(reactivation), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "", "scan", "--format", "json", empty)
	if r.code != ExitOK || !strings.Contains(r.stderr, "no CloudTrail records in "+empty) {
		t.Errorf("scan of a directory without inputs: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, "", "scan", "--format", "json", "-")
	if r.code != ExitOK || !strings.Contains(r.stderr, "no CloudTrail records in -") {
		t.Errorf("scan of empty stdin: exit %d, stderr %q", r.code, r.stderr)
	}

	dir := t.TempDir()
	second := strings.Replace(strings.Replace(reactivation, "5c3a9f0e-1d2b-4c8e-9a61-0f7b2e4d8c11", "6c3a9f0e-1d2b-4c8e-9a61-0f7b2e4d8c12", 1), "AKIAJBOBEXAMPLE7Q2LA", "AKIAJCAROLEXAMPLE7Q2", 1)
	second = strings.Replace(second, `"userName":"bob"`, `"userName":"carol"`, 1)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	fmt.Fprintf(zw, `{"Records":[%s]}`, second)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"EVENTS.JSON": []byte(reactivation), "Trail.Json.GZ": gz.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r = runCLI(t, "", "scan", "--format", "json", dir)
	users := map[string]bool{}
	for _, a := range alertsOf(t, r.stdout) {
		users[a.Target["user_name"]] = true
	}
	if r.code != ExitOK || !users["bob"] || !users["carol"] {
		t.Errorf("upper-case extensions: exit %d, alerts for %v, stderr %q", r.code, users, r.stderr)
	}
}

// TestReplayManners: an input without records says so; dates in errors read as typed.
func TestReplayManners(t *testing.T) {
	empty := t.TempDir()
	r := runCLI(t, "", "replay", "--format", "json", empty)
	if r.code != ExitOK || !strings.Contains(r.stderr, "no CloudTrail records under "+empty) {
		t.Errorf("replay of an empty directory: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, "", "replay", "--start", "2024-03-18", "--end", "2024-03-17", empty)
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--start 2024-03-18 is not before --end 2024-03-17") {
		t.Errorf("empty range: exit %d, stderr %q", r.code, r.stderr)
	}
}

// noCredentials empties every source of AWS credentials the SDK's default chain reads, and
// points any AWS endpoint at a closed loopback port.
func noCredentials(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", fmt.Sprintf("http://127.0.0.1:%d", testutil.FreePort(t)))
}

// TestEnrichWithoutCredentials: --enrich with no usable credentials stops before reading any
// record, with one error and the usage status; with credentials it runs.
func TestEnrichWithoutCredentials(t *testing.T) {
	noCredentials(t)
	r := runCLI(t, reactivation, "scan", "--enrich", "--format", "json", "-")
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if r.code != ExitUsage || r.stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], "--enrich: no usable AWS credentials") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("ENRICH", "true")
	if r := runCLI(t, reactivation, "scan", "--format", "json", "-"); r.code != ExitUsage || !strings.Contains(r.stderr, "no usable AWS credentials") {
		t.Fatalf("ENRICH=true: exit %d, stderr %q", r.code, r.stderr)
	}
	t.Setenv("ENRICH", "")
	// Credentials present: the check passes (the lookups then fail against the closed port
	// and become notes, as any failed lookup does).
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE01")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	if r := runCLI(t, reactivation, "scan", "--enrich", "--format", "json", "-"); r.code == ExitUsage || strings.Contains(r.stderr, "no usable AWS credentials") || len(alertsOf(t, r.stdout)) == 0 {
		t.Fatalf("with credentials: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestTeamPackWithoutTeamFile: a pack of Rego files whose team file is misnamed (team.yml)
// is a broken pack by name, from --rules and from TEAMS_CONFIG: a health alert, rule_error
// for the events its rules declare, exit 2.
func TestTeamPackWithoutTeamFile(t *testing.T) {
	root := testutil.TeamPacks(t, nil)
	ledger := filepath.Join(root, "ledger")
	if err := os.Rename(filepath.Join(ledger, "team.yaml"), filepath.Join(ledger, "team.yml")); err != nil {
		t.Fatal(err)
	}
	events := writeRecords(t, testutil.ServiceKeyCreated, testutil.UserDeleted)
	check := func(name string, r cliResult) {
		t.Helper()
		got := ruleTeams(t, r.stdout)
		if r.code != ExitPartial || !slices.Contains(got, "TH-HEALTH-001/ledger") || !slices.Contains(got, "PAYMENTS-001/payments") {
			t.Errorf("%s: exit %d, alerts %v; stderr:\n%s", name, r.code, got, r.stderr)
		}
		for _, want := range []string{"team ledger", "team.yaml: missing", "found team.yml", "rule_error=1"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", name, want, r.stderr)
			}
		}
		if !strings.Contains(r.stderr, "; 1 health alert (team packs not loaded)") {
			t.Errorf("%s: the summary does not count the health alert:\n%s", name, r.stderr)
		}
		// Delivered through the pipeline: the outcome line counts it too.
		if !regexp.MustCompile(`scan: 2 records: .*; \d+ alerts, 1 health alert\b`).MatchString(r.stderr) {
			t.Errorf("%s: the outcome line does not count the health alert:\n%s", name, r.stderr)
		}
	}
	check("--rules", runCLI(t, "", "scan", "--format", "json", "--rules", root, events))

	// backtest delivers the health alert through the pipeline too: printed once, counted on
	// its outcome line.
	bt := runCLI(t, "", "backtest", "--format", "json", "--rules", root, "--local", events)
	if got := ruleTeams(t, bt.stdout); bt.code != ExitPartial || countOf(got, "TH-HEALTH-001/ledger") != 1 {
		t.Errorf("backtest: exit %d, alerts %v; stderr:\n%s", bt.code, got, bt.stderr)
	}
	if !regexp.MustCompile(`backtest: 2 records: .*, 1 health alert\b`).MatchString(bt.stderr) {
		t.Errorf("backtest: the outcome line does not count the health alert:\n%s", bt.stderr)
	}

	t.Setenv(settings.TeamsConfig.Name, root)
	check("TEAMS_CONFIG", runCLI(t, "", "scan", "--format", "json", events))
}

// TestTextOutput: on a terminal, text with the severity in colour unless NO_COLOR or
// TERM=dumb; a dedup update is one line naming the alert; the summary counts alerts by
// severity and rule, and the updates.
func TestTextOutput(t *testing.T) {
	later := strings.Replace(strings.Replace(reactivation, "5c3a9f0e-1d2b-4c8e-9a61-0f7b2e4d8c11", "7c3a9f0e-1d2b-4c8e-9a61-0f7b2e4d8c13", 1), "2026-11-02T09:14:07Z", "2026-11-02T09:20:00Z", 1)
	in := reactivation + "\n" + later + "\n"
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	r := runWith(t, &fakeTerminal{*bytes.NewBufferString(in)}, &fakeTerminal{}, "scan", "-")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "\x1b[1;31m[HIGH]\x1b[0m IAM access key reactivated (TH-IAM-001, team builtin)\n") {
		t.Fatalf("terminal: exit %d, want text with colour:\n%q\nstderr %s", r.code, r.stdout, r.stderr)
	}
	full := strings.Count(r.stdout, "\n  id:     ")
	updates := strings.Count(r.stdout, " update of alert ")
	if full != 1 || updates != 1 || !strings.HasSuffix(r.stdout, "\n\x1b[1;31m[HIGH]\x1b[0m update of alert 6f13d7bd20775aef0585902c14e990f9 (TH-IAM-001, team builtin: IAM access key reactivated): 2 events, first seen 2026-11-02T09:14:07Z, last seen 2026-11-02T09:20:00Z\n") {
		t.Errorf("%d full alerts and %d update lines, want 1 and 1 (TH-IAM-001 folds the second event), the update last:\n%q", full, updates, r.stdout[max(0, len(r.stdout)-400):])
	}
	for _, want := range []string{"scan: 1 alert (HIGH=1); by rule: TH-IAM-001=1; 1 update\n"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	for _, env := range [][2]string{{"NO_COLOR", "1"}, {"TERM", "dumb"}} {
		t.Setenv(env[0], env[1])
		r := runWith(t, &fakeTerminal{*bytes.NewBufferString(in)}, &fakeTerminal{}, "scan", "-")
		if r.code != ExitOK || strings.Contains(r.stdout, "\x1b") || !strings.HasPrefix(r.stdout, "[HIGH] IAM access key reactivated") {
			t.Errorf("%s=%s: exit %d, want text without colour:\n%.300q", env[0], env[1], r.code, r.stdout)
		}
		t.Setenv(env[0], map[string]string{"NO_COLOR": "", "TERM": "xterm"}[env[0]])
	}
	if r := runCLI(t, in, "scan", "--format", "text", "-"); strings.Contains(r.stdout, "\x1b") {
		t.Errorf("text to a non-terminal has colour:\n%q", r.stdout)
	}
	if r := runCLI(t, in, "scan", "--format", "text", "--color", "always", "-"); !strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("--color always has no colour:\n%q", r.stdout)
	}
	if r := runWith(t, &fakeTerminal{*bytes.NewBufferString(in)}, &fakeTerminal{}, "scan", "--color", "never", "-"); strings.Contains(r.stdout, "\x1b") {
		t.Errorf("--color never has colour:\n%q", r.stdout)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestUsageSummaryListsEveryCommand: every command the dispatcher knows has a line in the
// usage summary, so a new command cannot be added without telling users of it.
func TestUsageSummaryListsEveryCommand(t *testing.T) {
	for name := range commands {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `\b`).MatchString(usageSummary) {
			t.Errorf("command %q has no line in the usage summary (usageSummary, cli.go)", name)
		}
	}
}
