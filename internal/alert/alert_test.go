package alert_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/alert/schema"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
)

var testRule = &rule.Rule{
	Package: "builtin.iam.reactivated", File: "rules/builtin/iam/reactivated.rego", Team: "builtin",
	Metadata: rule.Metadata{
		ID: "TH-IAM-001", Title: "Access key reactivated", Version: "2", Severity: rule.High,
		Events:     []rule.EventRef{{Source: "iam.amazonaws.com", Name: "UpdateAccessKey"}},
		Attack:     []string{"TA0003:T1098.001"},
		Compliance: map[string][]string{"cis-aws-foundations-v3.0.0": {"1.14"}},
		Dedup:      &rule.Dedup{Window: rule.Duration{Duration: time.Hour}, By: []string{"actor.arn", "target.user_name"}},
		Remediation: rule.Remediation{
			Summary: "Deactivate {{target.access_key_id}} of {{target.user_name}}.",
			Containment: []rule.Step{{
				Title:   "Deactivate the key of {{target.user_name}}",
				Console: []string{"IAM > Users > {{target.user_name}} > Security credentials"},
				CLI: []string{
					"aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive",
					"aws iam delete-login-profile --user-name {{target.missing}}",
					"aws iam delete-role-policy --role-name {{context.role_name}} --policy-name AWSRevokeOlderSessions",
				},
			}},
		},
		Runbook: []string{
			"Search CloudTrail for {{actor.arn}} around {{event.time}}",
			"Check the session {{context.role_session}}",
			"Ask {{target.user_name}} (MFA {{actor.mfa_authenticated}})",
		},
	},
}

const record = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},
"eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1",
"sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15","requestParameters":{"userName":"bob","accessKeyId":"AKIAEXAMPLE","status":"Active"},
"eventID":"e1","readOnly":false,"recipientAccountId":"111122223333"}`

func build(t *testing.T, target map[string]string) alert.Alert {
	t.Helper()
	rec := event.Record{Raw: []byte(record), Header: event.Header{
		EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", EventID: "e1",
		EventTime: "2024-05-01T10:00:00Z", AWSRegion: "us-east-1", RecipientAccountID: "111122223333",
	}}
	a, err := alert.Build(alert.Input{
		Finding: engine.Finding{Rule: testRule, Msg: "alice reactivated\nkey of bob", Target: target, Severity: rule.Critical, Of: 1},
		Record:  rec,
		Actor:   map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "name": "alice", "mfa_authenticated": true},
		Now:     time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBuildFillsAlertV1(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLE"})
	if a.ID != alert.ID("TH-IAM-001", "111122223333", "e1", 0, 1) || len(a.ID) != 32 {
		t.Fatalf("id %q", a.ID)
	}
	if a.Severity != "CRITICAL" || a.Rule.Severity != "HIGH" || a.Rule.Version != "2" {
		t.Fatalf("severity %s rule %+v", a.Severity, a.Rule)
	}
	if a.Summary != "alice reactivated key of bob" {
		t.Fatalf("summary %q: newlines must be folded", a.Summary)
	}
	if a.Event.SourceIP != "198.51.100.7" || a.Event.Account != "111122223333" || a.Event.ReadOnly {
		t.Fatalf("event %+v", a.Event)
	}
	if !a.Actor.MFAAuthenticated || a.Actor.Name != "alice" {
		t.Fatalf("actor %+v", a.Actor)
	}
	c := a.Remediation.Containment[0]
	if c.Title != "Deactivate the key of bob" {
		t.Fatalf("title %q", c.Title)
	}
	if len(c.CLI) != 1 || c.CLI[0] != "aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE --status Inactive" {
		t.Fatalf("cli %q", c.CLI)
	}
	if len(c.Omitted) != 1 || !strings.Contains(c.Omitted[0], "target.missing") {
		t.Fatalf("omitted %q: the command with a missing value must be left out and named", c.Omitted)
	}
	if len(a.Runbook) != 2 || a.Runbook[0] != "Search CloudTrail for arn:aws:iam::111122223333:user/alice around 2024-05-01T10:00:00Z" ||
		a.Runbook[1] != "Ask bob (MFA true)" {
		t.Fatalf("runbook %q: the entry needing context.role_session must be left out", a.Runbook)
	}
	if a.Dedup.Key == a.ID || a.Dedup.Count != 1 || a.Dedup.FirstSeen != "2024-05-01T10:00:00Z" {
		t.Fatalf("dedup %+v", a.Dedup)
	}
	if a.Links.CloudTrailConsole != "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/e1" {
		t.Fatalf("link %q", a.Links.CloudTrailConsole)
	}
	if err := schema.ValidateAlert(&a); err != nil {
		t.Fatal(err)
	}
}

func TestIDIsDeterministicAndDistinct(t *testing.T) {
	base := alert.ID("TH-IAM-001", "111122223333", "e1", 0, 1)
	if base != alert.ID("TH-IAM-001", "111122223333", "e1", 0, 1) {
		t.Fatal("id not deterministic")
	}
	for _, other := range []string{
		alert.ID("TH-IAM-002", "111122223333", "e1", 0, 1),
		alert.ID("TH-IAM-001", "444455556666", "e1", 0, 1),
		alert.ID("TH-IAM-001", "111122223333", "e2", 0, 1),
		alert.ID("TH-IAM-001", "111122223333", "e1", 1, 2),
		alert.ID("TH-IAM-00", "1111122223333", "e1", 0, 1), // field boundaries are separated
	} {
		if other == base {
			t.Fatalf("collision with %s", other)
		}
	}
}

// Event values are attacker-controlled: a user name crafted as a shell payload must reach the
// command as one inert argument.
func TestCLIValuesAreShellQuoted(t *testing.T) {
	evil := []string{`bob; rm -rf ~`, `$(curl evil)`, "`id`", `it's`, `a b`, "x\ny", `"quoted"`, `\`, `*`, `-rf`, `--help`, `-bob x`, `-`}
	for _, v := range evil {
		a := build(t, map[string]string{"user_name": v, "access_key_id": "AKIAEXAMPLE"})
		cmd := a.Remediation.Containment[0].CLI[0]
		out, err := exec.Command("bash", "-c", "set -- "+strings.TrimPrefix(cmd, "aws iam update-access-key ")+"; printf '%s\\0' \"$@\"").Output()
		if err != nil {
			t.Fatalf("%q: %v", cmd, err)
		}
		args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
		want := []string{"--user-name", v}
		if strings.HasPrefix(v, "-") { // joined to its option, or the AWS CLI reads it as one
			want = []string{"--user-name=" + v}
		}
		if len(args) != len(want)+4 || !slices.Equal(args[:len(want)], want) {
			t.Fatalf("value %q rendered as %q, shell saw %q", v, cmd, args)
		}
	}
}

// Text entries carry command lines analysts copy: unusual values are quoted there too.
func TestTextValuesAreQuotedWhenUnsafe(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob $(id)", "access_key_id": "AKIAEXAMPLE"})
	if got := a.Remediation.Containment[0].Title; got != `Deactivate the key of 'bob $(id)'` {
		t.Fatalf("title %q", got)
	}
	if got := a.Runbook[1]; got != `Ask 'bob $(id)' (MFA true)` {
		t.Fatalf("runbook %q", got)
	}
}

func TestStepWithNothingLeftIsDropped(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob"}) // no access_key_id
	c := a.Remediation.Containment
	if len(c) != 1 || len(c[0].CLI) != 0 || len(c[0].Console) != 1 || len(c[0].Omitted) != 2 {
		t.Fatalf("containment %+v", c)
	}
	a = build(t, map[string]string{})
	if len(a.Remediation.Containment) != 0 {
		t.Fatalf("a step with every entry left out must be dropped: %+v", a.Remediation.Containment)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "''",
		"bob":                                 "bob",
		"arn:aws:iam::1:user/a+b=c,d.e@f-g_h": "arn:aws:iam::1:user/a+b=c,d.e@f-g_h",
		"it's":                                `'it'\''s'`,
		"a b":                                 "'a b'",
		"$x":                                  "'$x'",
	} {
		if got := alert.ShellQuote(in); got != want {
			t.Errorf("alert.ShellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextRendererNeutralisesTerminalEscapes(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob\x1b[2J\x1b]0;pwned\x07", "access_key_id": "AKIA\u202eEXAMPLE"})
	a.Event.UserAgent = "curl\r\nFAKE: line"
	txt := alert.Text(&a)
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e", "\nFAKE"} {
		if strings.Contains(txt, bad) {
			t.Fatalf("text rendering contains %q:\n%s", bad, txt)
		}
	}
	for _, want := range []string{"[CRITICAL] Access key reactivated (TH-IAM-001", `bob\x1b[2J`, "$ aws iam update-access-key", "runbook:", a.ID} {
		if !strings.Contains(txt, want) {
			t.Fatalf("text rendering lacks %q:\n%s", want, txt)
		}
	}
}

func TestJSONIsOneLineAndValid(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob\n</script>", "access_key_id": "AKIAEXAMPLE"})
	var b strings.Builder
	if err := alert.WriteJSON(&b, &a); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") || strings.Contains(out, "</script>") {
		t.Fatalf("json line: %q", out)
	}
	var back alert.Alert
	if err := json.Unmarshal([]byte(out), &back); err != nil || back.Target["user_name"] != "bob\n</script>" {
		t.Fatalf("round trip: %v %q", err, back.Target)
	}
	if err := schema.Validate([]byte(out)); err != nil {
		t.Fatal(err)
	}
}
