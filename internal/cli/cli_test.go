package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/alert/schema"
	"github.com/trailhound/trailhound/internal/testutil"
)

type cliResult struct {
	code   int
	stdout string
	stderr string
}

func runCLI(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errw bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errw)
	return cliResult{code, out.String(), errw.String()}
}

// alertsOf parses JSON Lines output and validates each alert against the Alert v1 schema.
func alertsOf(t *testing.T, stdout string) []alert.Alert {
	t.Helper()
	var out []alert.Alert
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		if err := schema.Validate(line); err != nil {
			t.Fatalf("emitted alert fails the schema: %v\n%s", err, line)
		}
		var a alert.Alert
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func ids(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Rule.ID+" "+a.ID)
	}
	slices.Sort(out)
	return out
}

// reactivation is a record the built-in pack must alert on: another user's key set Active.
const reactivation = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAJQABLZS4A3QDU576Q","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAI44QH8DHBEXAMPLE","userName":"mallory"},"eventTime":"2026-11-02T09:14:07Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.44","userAgent":"aws-cli/2.17.20","requestParameters":{"userName":"bob","accessKeyId":"AKIAJBOBEXAMPLE7Q2LA","status":"Active"},"responseElements":null,"requestID":"d1a0c6e2-8f0b-4c55-9d0e-000000000001","eventID":"5c3a9f0e-1d2b-4c8e-9a61-0f7b2e4d8c11","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

func TestScanExamples(t *testing.T) {
	r := runCLI(t, "", "scan", "--format", "json", filepath.Join("..", "..", "examples"))
	if r.code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	as := alertsOf(t, r.stdout)
	if len(as) == 0 {
		t.Fatalf("no alerts from examples/; stderr:\n%s", r.stderr)
	}
	var filled bool
	for _, a := range as {
		for _, st := range append(a.Remediation.Containment, a.Remediation.Steps...) {
			for _, c := range st.CLI {
				if strings.Contains(c, "{{") {
					t.Errorf("%s: unfilled template in %q", a.Rule.ID, c)
				}
				if strings.Contains(c, "--user-name bob") {
					filled = true
				}
			}
		}
	}
	if !filled {
		t.Errorf("no remediation command names bob, the user whose key was reactivated in the examples")
	}
	if !strings.Contains(r.stderr, "scan: ") || !strings.Contains(r.stderr, "alerted=") {
		t.Errorf("stderr lacks the outcome summary:\n%s", r.stderr)
	}
	text := runCLI(t, "", "scan", "--format", "text", "--quiet", filepath.Join("..", "..", "examples"))
	if text.code != ExitOK || !strings.Contains(text.stdout, "$ aws iam update-access-key --user-name bob") || text.stderr != "" {
		t.Fatalf("text format: exit %d\n%s\nstderr: %s", text.code, text.stdout, text.stderr)
	}
}

func TestScanBrokenLineBetweenGoodOnes(t *testing.T) {
	second := strings.Replace(reactivation, "5c3a9f0e-1d2b-4c8e-9a61-0f7b2e4d8c11", "9d8e7f6a-0000-4c8e-9a61-0f7b2e4d8c22", 1)
	second = strings.Replace(second, `"userName":"bob"`, `"userName":"carol"`, 1)
	// carol's own key: an access key belongs to one user, and TH-IAM-001 folds repeated
	// reactivations of one key by one caller into one alert (custom.dedup).
	second = strings.Replace(second, "AKIAJBOBEXAMPLE7Q2LA", "AKIAJCAROLEXAMPLE7Q2", 1)
	path := filepath.Join(t.TempDir(), "stream.jsonl")
	body := reactivation + "\n" + `{"eventVersion":"1.09","eventSource":"iam.amazonaws.com","eventName":"UpdateAcc` + "\n" + second + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "scan", "--format", "json", path)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
	}
	as := alertsOf(t, r.stdout)
	users := map[string]bool{}
	for _, a := range as {
		users[a.Target["user_name"]] = true
	}
	if !users["bob"] || !users["carol"] {
		t.Fatalf("alerts for %v, want both bob and carol; stderr:\n%s", users, r.stderr)
	}
	if !strings.Contains(r.stderr, path+":2") {
		t.Fatalf("stderr does not name %s:2:\n%s", path, r.stderr)
	}
	if !strings.Contains(r.stderr, "malformed=1") {
		t.Fatalf("summary does not count the malformed record:\n%s", r.stderr)
	}
}

// The same event yields the same alert ids in every framing, including the corpus's real
// records: ids are what make retries, multi-region duplicates and replays idempotent.
func TestSameAlertIDInEveryFraming(t *testing.T) {
	records := map[string][]byte{"reactivation": []byte(reactivation)}
	for _, f := range testutil.CorpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		records[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	// Each framing gets a directory holding every record in that framing, one file each
	// under the same names, and one scan reads it: the same records in the same order, so
	// the alert ids must be the same whatever the framing (one scan per framing, not per
	// record: each scan compiles the pack).
	var want []string
	for i, fr := range testutil.Framings() {
		dir := t.TempDir()
		ext := ".json"
		switch fr.Name {
		case "logfile-gz":
			ext = ".json.gz"
		case "jsonl":
			ext = ".jsonl"
		}
		for name, raw := range records {
			if err := os.WriteFile(filepath.Join(dir, name+ext), fr.Wrap(t, raw), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		r := runCLI(t, "", "scan", "--format", "json", dir)
		if r.code != ExitOK {
			t.Fatalf("framing %s: exit %d\n%s", fr.Name, r.code, r.stderr)
		}
		got := ids(alertsOf(t, r.stdout))
		if i == 0 {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("framing %s gives alerts %v, framing %s gives %v", fr.Name, got, testutil.Framings()[0].Name, want)
		}
	}
	if len(want) < 3 {
		t.Fatalf("only %d alerts; the test proves nothing without alerts", len(want))
	}
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"fail-on reached", []string{"scan", "--fail-on", "LOW", "-"}, ExitAlert},
		{"bad severity", []string{"scan", "--fail-on", "URGENT", "-"}, ExitUsage},
		{"bad format", []string{"scan", "--format", "xml", "-"}, ExitUsage},
		{"unknown flag", []string{"scan", "--nope", "-"}, ExitUsage},
		{"unknown command", []string{"scna"}, ExitUsage},
		{"missing path", []string{"scan", filepath.Join(t.TempDir(), "missing.json")}, ExitUsage},
		{"help", []string{"help"}, ExitOK},
	}
	quiet := `{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"x","eventTime":"2026-11-02T09:14:07Z"}`
	if r := runCLI(t, quiet, "scan", "--fail-on", "INFORMATIONAL", "-"); r.code != ExitOK {
		t.Fatalf("fail-on without alerts: exit %d; stderr:\n%s", r.code, r.stderr)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, reactivation, c.args...)
			if r.code != c.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, c.want, r.stderr)
			}
		})
	}
}

func TestRulesListAndTest(t *testing.T) {
	r := runCLI(t, "", "rules", "list")
	if r.code != ExitOK || !strings.Contains(r.stdout, "TH-") {
		t.Fatalf("rules list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "rules", "test")
	if r.code != ExitOK || !strings.Contains(r.stdout, " passed, 0 failed") {
		t.Fatalf("rules test: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "pattern")
	if r.code != ExitOK || !strings.Contains(r.stdout, `"UpdateAccessKey"`) {
		t.Fatalf("pattern: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
