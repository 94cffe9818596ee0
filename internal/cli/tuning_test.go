package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/settings"
)

// rotationTuning quiets the nightly key-rotation Lambda with one exception.
const rotationTuning = `owner: secops@example.com
exceptions:
  - id: TUNE-001
    rules: [TH-IAM-002, TH-IAM-003, TH-IAM-104]
    match:
      actor_arn: "arn:aws:iam::*:role/key-rotator-*"
      target_user: "svc-*"
    set_severity: LOW
    owner: alice@example.com
    reason: sanctioned nightly rotation (CHG-1234)
    expires: 2099-06-30
`

// keyEvent is an IAM access key call by an assumed role, as CloudTrail records it (the
// Lambda's execution role session is named after the function).
func keyEvent(n int, at time.Time, role, name, user, keyID string) map[string]any {
	acct := "111122223333"
	ev := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLEROLE00001:" + role,
			"arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + role, "accountId": acct,
			"accessKeyId": "ASIAEXAMPLESESSION01",
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAEXAMPLEROLE00001", "arn": "arn:aws:iam::" + acct + ":role/" + role, "accountId": acct, "userName": role},
				"attributes":    map[string]any{"creationDate": at.Add(-time.Minute).Format(time.RFC3339), "mfaAuthenticated": "false"},
			},
		},
		"eventTime": at.Format(time.RFC3339), "eventSource": "iam.amazonaws.com", "eventName": name,
		"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10",
		"userAgent":         "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#arm64 exec-env/AWS_Lambda_provided.al2023 api/iam#1.34.3",
		"requestParameters": map[string]any{"userName": user, "accessKeyId": keyID},
		"responseElements":  nil,
		"requestID":         fmt.Sprintf("req-%04d", n), "eventID": fmt.Sprintf("6f1c2a7e-5b4d-4e8f-9a0b-%012d", n),
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": acct, "eventCategory": "Management",
	}
	switch name {
	case "CreateAccessKey":
		ev["requestParameters"] = map[string]any{"userName": user}
		ev["responseElements"] = map[string]any{"accessKey": map[string]any{"userName": user, "accessKeyId": keyID, "status": "Active", "createDate": "Dec 7, 2026 2:00:00 AM"}}
	case "UpdateAccessKey":
		ev["requestParameters"] = map[string]any{"userName": user, "accessKeyId": keyID, "status": "Inactive"}
	}
	return ev
}

// nightlyRotation is one night's rotation of three service users' keys by role: create a
// new key, deactivate the old one, delete it.
func nightlyRotation(first int, at time.Time, role string) []map[string]any {
	var out []map[string]any
	for i, user := range []string{"svc-billing", "svc-etl", "svc-reports"} {
		base := first + i*3
		t := at.Add(time.Duration(i) * time.Minute)
		out = append(out,
			keyEvent(base, t, role, "CreateAccessKey", user, fmt.Sprintf("AKIAEXAMPLENEW%06d", base)),
			keyEvent(base+1, t.Add(10*time.Second), role, "UpdateAccessKey", user, fmt.Sprintf("AKIAEXAMPLEOLD%06d", base)),
			keyEvent(base+2, t.Add(20*time.Second), role, "DeleteAccessKey", user, fmt.Sprintf("AKIAEXAMPLEOLD%06d", base)),
		)
	}
	return out
}

func writeJSONL(t *testing.T, path string, records []map[string]any) {
	t.Helper()
	var b strings.Builder
	for _, r := range records {
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The done-when test of the tuning file: the rotation Lambda's nightly create, deactivate
// and delete of svc-* keys is quieted to LOW by one exception, while the same calls by
// another role keep their severities (HIGH for the key created for another user and the
// deletion burst).
func TestTuningQuietsTheRotationLambdaOnly(t *testing.T) {
	dir := t.TempDir()
	night := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	events := append(nightlyRotation(1, night, "key-rotator-prod"), nightlyRotation(100, night.Add(3*time.Hour), "ops-admin")...)
	writeJSONL(t, filepath.Join(dir, "trail.jsonl"), events)
	tuningFile := filepath.Join(dir, "tuning.yaml")
	if err := os.WriteFile(tuningFile, []byte(rotationTuning), 0o600); err != nil {
		t.Fatal(err)
	}

	untuned := runCLI(t, "", "scan", "--format", "json", filepath.Join(dir, "trail.jsonl"))
	if untuned.code != ExitOK {
		t.Fatalf("untuned scan: exit %d\n%s", untuned.code, untuned.stderr)
	}
	res := runCLI(t, "", "scan", "--format", "json", "--tuning", tuningFile, "--tuning-diff", "--fail-on", "HIGH", filepath.Join(dir, "trail.jsonl"))
	if res.code != ExitAlert { // the other role's alerts are still HIGH
		t.Fatalf("tuned scan: exit %d, want %d\n%s", res.code, ExitAlert, res.stderr)
	}
	sevOf := func(out string) map[string]map[string]string { // issuer role -> rule -> severity
		m := map[string]map[string]string{}
		for _, a := range alertsOf(t, out) {
			role := a.Actor.SessionIssuer[strings.LastIndex(a.Actor.SessionIssuer, "/")+1:]
			if m[role] == nil {
				m[role] = map[string]string{}
			}
			if prev, ok := m[role][a.Rule.ID]; ok && prev != a.Severity {
				t.Fatalf("%s: rule %s raised %s and %s", role, a.Rule.ID, prev, a.Severity)
			}
			m[role][a.Rule.ID] = a.Severity
			if role == "key-rotator-prod" && a.Tuning != nil {
				e := a.Tuning.Exception
				if e == nil || e.ID != "TUNE-001" || e.Owner != "alice@example.com" || e.Expires != "2099-06-30" || !strings.Contains(e.Reason, "CHG-1234") {
					t.Errorf("alert %s names %+v, want TUNE-001 with its owner, reason and expiry", a.ID, e)
				}
				last := a.SeverityReasons[len(a.SeverityReasons)-1]
				if last.By != "exception" || last.Change != "lowered" || last.To != "LOW" || !strings.Contains(last.Reason, "TUNE-001") {
					t.Errorf("alert %s: severity reasons %+v do not explain the step-down", a.ID, a.SeverityReasons)
				}
			}
			if role == "ops-admin" && a.Tuning != nil {
				t.Errorf("the other role's alert %s was tuned: %+v", a.ID, a.Tuning)
			}
		}
		return m
	}
	before, after := sevOf(untuned.stdout), sevOf(res.stdout)
	for _, id := range []string{"TH-IAM-003", "TH-IAM-104"} {
		if before["key-rotator-prod"][id] != "HIGH" {
			t.Errorf("untuned: rotator's %s = %q, want HIGH (the noise the exception is for)", id, before["key-rotator-prod"][id])
		}
		if after["ops-admin"][id] != "HIGH" {
			t.Errorf("tuned: ops-admin's %s = %q, want HIGH", id, after["ops-admin"][id])
		}
	}
	for _, id := range []string{"TH-IAM-002", "TH-IAM-003", "TH-IAM-104"} {
		if after["key-rotator-prod"][id] != "LOW" {
			t.Errorf("tuned: rotator's %s = %q, want LOW", id, after["key-rotator-prod"][id])
		}
	}
	if after["ops-admin"]["TH-IAM-002"] != before["ops-admin"]["TH-IAM-002"] || after["ops-admin"]["TH-IAM-002"] == "" {
		t.Errorf("ops-admin's TH-IAM-002 = %q, untuned %q", after["ops-admin"]["TH-IAM-002"], before["ops-admin"]["TH-IAM-002"])
	}
	for _, want := range []string{"by exception: TUNE-001=", "tuning diff: before tuning", "exception TUNE-001 (owner alice@example.com, expires 2099-06-30):", "HIGH->LOW=", "MEDIUM->LOW="} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
}

func TestTuningSuppressStagedDisabled(t *testing.T) {
	dir := t.TempDir()
	night := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	writeJSONL(t, filepath.Join(dir, "trail.jsonl"), nightlyRotation(1, night, "key-rotator-prod"))
	tuningFile := filepath.Join(dir, "tuning.yaml")
	if err := os.WriteFile(tuningFile, []byte(`owner: secops@example.com
exceptions:
  - id: TUNE-002
    rules: [TH-IAM-003]
    match: {actor_arn: "arn:aws:iam::111122223333:role/key-rotator-prod", account: "111122223333"}
    suppress: true
    owner: bob@example.com
    reason: rotation keys are checked by the vault audit
    expires: 2099-01-31
staged: [TH-IAM-002]
disabled:
  - {id: TH-IAM-104, owner: carol@example.com, reason: replaced by a team rule}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "", "scan", "--format", "json", "--tuning", tuningFile, "--tuning-diff", filepath.Join(dir, "trail.jsonl"))
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	rules := map[string]int{}
	for _, a := range alertsOf(t, res.stdout) {
		rules[a.Rule.ID]++
		if a.Rule.ID == "TH-IAM-002" && (a.Tuning == nil || !a.Tuning.Staged) {
			t.Errorf("TH-IAM-002 alert %s is not marked staged", a.ID)
		}
	}
	if rules["TH-IAM-003"] != 0 || rules["TH-IAM-104"] != 0 || rules["TH-IAM-002"] == 0 {
		t.Errorf("alerts by rule %v: want TH-IAM-003 suppressed, TH-IAM-104 disabled, TH-IAM-002 staged", rules)
	}
	for _, want := range []string{
		"suppressed by exception TUNE-002 (owner bob@example.com, expires 2099-01-31): rotation keys",
		"exception=3", "by exception: TUNE-002=3", "6 events of staged rules", "before tuning 6 alerts (HIGH=3 MEDIUM=3), and disabled rules matched 3 events; after: 0 delivered (none), 3 staged",
		"exception TUNE-002 (owner bob@example.com, expires 2099-01-31): 3 suppressed (HIGH=3)",
		"disabled TH-IAM-104 (owner carol@example.com): matched 3 events, raised nothing",
		"staged TH-IAM-002: 3 alerts to the staging route only",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	// Without --tuning-diff, the disabled rule is not evaluated at all.
	plain := runCLI(t, "", "scan", "--format", "json", "--tuning", tuningFile, filepath.Join(dir, "trail.jsonl"))
	if strings.Contains(plain.stderr, "disabled rules") || !strings.Contains(plain.stderr, "by exception: TUNE-002=3") {
		t.Errorf("disabled rule evaluated without --tuning-diff:\n%s", plain.stderr)
	}
}

func TestTuningFileErrorsAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "tuning.yaml")
	if err := os.WriteFile(bad, []byte("owner: s\nexceptions:\n  - id: TUNE-001\n    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n    set_severity: LOW\n    owner: a\n    reason: r\n    expires: 2020-01-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "", "scan", "--tuning", bad, "-")
	if res.code != ExitUsage || !strings.Contains(res.stderr, bad+":3: exception TUNE-001: expired on 2020-01-01") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	res = runCLI(t, "", "scan", "--tuning-diff", "-")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "--tuning-diff needs a tuning file") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	t.Setenv(settings.TuningConfig.Name, bad)
	if res := runCLI(t, "", "scan", "-"); res.code != ExitUsage {
		t.Fatalf("TUNING_CONFIG not honoured: exit %d\n%s", res.code, res.stderr)
	}
}

func TestRulesLintAndBundleTheTuningFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tuning.yaml")
	if err := os.WriteFile(good, []byte(rotationTuning), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "", "rules", "lint", "--tuning", good)
	if res.code != ExitOK || !strings.Contains(res.stdout, "ok   tuning "+good+" (owner secops@example.com): 1 exceptions, 0 staged, 0 disabled") {
		t.Fatalf("lint good: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("owner: s\nexceptions:\n  - id: TUNE-001\n    rules: [TH-IAM-002, TH-NOPE-001]\n    match: {target_user: svc-*}\n    set_severity: HIGH\n    owner: a\n    reason: r\n    expires: 2099-01-01\ndisabled:\n  - {id: TH-IAM-104}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, "", "rules", "lint", "--tuning", bad)
	for _, want := range []string{
		bad + ":4: exception TUNE-001: rules \"TH-NOPE-001\": no built-in rule has this id",
		bad + ":3: exception TUNE-001: set_severity HIGH is above TH-IAM-002's severity MEDIUM",
		bad + ":11: disabled \"TH-IAM-104\": owner and reason are required",
	} {
		if res.code != ExitPartial || !strings.Contains(res.stdout, want) {
			t.Errorf("lint bad: exit %d, want %q in\n%s%s", res.code, want, res.stdout, res.stderr)
		}
	}
	out := filepath.Join(dir, "rules.tar.gz")
	if res := runCLI(t, "", "rules", "bundle", "--out", out, "--tuning", bad); res.code != ExitPartial {
		t.Fatalf("bundle with a bad tuning file: exit %d\n%s", res.code, res.stderr)
	}
	if res := runCLI(t, "", "rules", "bundle", "--out", out, "--tuning", good); res.code != ExitOK || !strings.Contains(res.stderr, "tuning file: true") {
		t.Fatalf("bundle: exit %d\n%s", res.code, res.stderr)
	}
}

// replay --tuning --tuning-diff over a trail in CloudTrail's S3 key layout shows what the
// tuning file would have done: the rotator's alerts lowered, the other role's untouched.
func TestReplayTuningDiff(t *testing.T) {
	dir := t.TempDir()
	night := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	records := append(nightlyRotation(1, night, "key-rotator-prod"), nightlyRotation(100, night.Add(3*time.Hour), "ops-admin")...)
	body, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "12", "07")
	if err := os.MkdirAll(logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logDir, "111122223333_CloudTrail_us-east-1_20261207T0505Z_Ab12Cd34Ef56Gh78.json.gz"), gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	tuningFile := filepath.Join(dir, "tuning.yaml")
	if err := os.WriteFile(tuningFile, []byte(rotationTuning), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "", "replay", "--format", "json", "--tuning", tuningFile, "--tuning-diff", dir)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var lowered, high int
	for _, a := range alertsOf(t, res.stdout) {
		switch {
		case a.Tuning != nil && a.Tuning.Exception != nil && a.Tuning.Exception.ID == "TUNE-001" && a.Severity == "LOW":
			lowered++
		case strings.HasSuffix(a.Actor.SessionIssuer, "role/ops-admin") && a.Severity == "HIGH":
			high++
		}
	}
	if lowered == 0 || high == 0 {
		t.Fatalf("lowered %d, ops-admin HIGH %d\n%s", lowered, high, res.stderr)
	}
	for _, want := range []string{"tuning diff: before tuning ", "exception TUNE-001 (owner alice@example.com, expires 2099-06-30): ", " lowered (HIGH->LOW="} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
}
