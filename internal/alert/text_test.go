package alert_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
)

const textGolden = "testdata/text_golden.txt"

// textAlerts are the alerts the text golden pins: a team pack's alert with a dedup count,
// context values that say something and some that do not, and a failed call; and a
// built-in alert with no actor or target.
func textAlerts() []*alert.Alert {
	full := &alert.Alert{
		SchemaVersion: "1", ID: "6f1c0e1d2b3a4c5d6e7f8091a2b3c4d5", CreatedAt: time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC),
		Severity: "HIGH", Title: "Service user deleted",
		Summary: "alice (IAMUser) deleted service user svc-payments.",
		Rule:    alert.Rule{ID: "PAY-001", Title: "Service user deleted", Version: "1", Team: "payments", Severity: "MEDIUM", Attack: []string{"TA0040:T1531"}},
		Event: alert.Event{ID: "e1", Name: "DeleteUser", Source: "iam.amazonaws.com", Time: "2024-05-01T10:00:00Z", Account: "111122223333",
			Region: "us-east-1", SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.15.0\x1b[2J", ErrorCode: "AccessDenied", ErrorMessage: "not authorized"},
		Actor:  alert.Actor{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", Name: "alice", MFAAuthenticated: true},
		Target: map[string]string{"user_name": "svc-payments", "new_path": ""},
		Context: map[string]any{
			"escalation_reasons": []any{}, "cross_account": false, "notes": nil, "posture": "",
			"acted_on_self": true, "key_age_days": 0, "why": []any{"outside the change window", ""},
			"enrichment": map[string]any{"target": map[string]any{"exists": false, "tags": map[string]any{}}},
		},
		Remediation: alert.Remediation{Summary: "Restore the user if the deletion was not planned.",
			Containment: []alert.Step{{Title: "Deny alice", CLI: []string{"aws iam put-user-policy --user-name alice"}}},
			Steps:       []alert.Step{{Title: "Ask the owner", Console: []string{"IAM > Users"}, Omitted: []string{"no key id"}}}},
		Runbook: []string{"Check who else alice changed within the hour."},
		Dedup:   alert.Dedup{Key: "k", Count: 3, FirstSeen: "2024-05-01T10:00:00Z", LastSeen: "2024-05-01T10:40:00Z"},
		Links:   alert.Links{CloudTrailConsole: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/e1"},
	}
	bare := &alert.Alert{
		SchemaVersion: "1", ID: "0123456789abcdef0123456789abcdef", Severity: "CRITICAL", Title: "CloudTrail logging stopped",
		Summary: "Logging of trail main was stopped.",
		Rule:    alert.Rule{ID: "TH-CT-001", Team: "builtin"},
		Event:   alert.Event{Name: "StopLogging", Source: "cloudtrail.amazonaws.com", Time: "2024-05-01T11:00:00Z", Account: "111122223333", Region: "eu-west-1"},
		Dedup:   alert.Dedup{Count: 1, FirstSeen: "2024-05-01T11:00:00Z", LastSeen: "2024-05-01T11:00:00Z"},
	}
	return []*alert.Alert{full, bare}
}

// renderText is what the text golden pins: every alert and its update and repeat lines,
// without and with colour.
func renderText() string {
	var b strings.Builder
	for _, color := range []bool{false, true} {
		o := alert.TextOptions{Color: color}
		for _, a := range textAlerts() {
			b.WriteString("=== " + a.Rule.ID + map[bool]string{false: " (no colour)", true: " (colour)"}[color] + "\n")
			b.WriteString(alert.TextWith(a, o))
			b.WriteString(alert.TextUpdate(a, o, false))
			b.WriteString(alert.TextUpdate(a, o, true))
		}
	}
	return b.String()
}

// TestTextGolden pins the text renderer's output, without and with colour (the escapes are
// written as is: view the file with cat on a terminal).
func TestTextGolden(t *testing.T) {
	got := renderText()
	if *update {
		if err := os.WriteFile(textGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(filepath.FromSlash(textGolden))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("text rendering differs from %s (regenerate with -update only if the change is intended):\n%s", textGolden, got)
	}
}

// TestTextSaysOnlyWhatMatters checks the rules the golden shows: no empty or false context
// values, the summary right after the headline, the dedup count and times, the team; colour
// only when asked, and never from event values.
func TestTextSaysOnlyWhatMatters(t *testing.T) {
	a := textAlerts()[0]
	plain := alert.TextWith(a, alert.TextOptions{})
	for _, bad := range []string{"escalation_reasons", "cross_account", "notes", "posture", "\x1b", "new_path", `"tags"`} {
		if strings.Contains(plain, bad) {
			t.Errorf("plain text holds %q:\n%s", bad, plain)
		}
	}
	lines := strings.Split(plain, "\n")
	if lines[0] != "[HIGH] Service user deleted (PAY-001, team payments)" || lines[1] != "  "+a.Summary {
		t.Errorf("headline and summary first:\n%s", plain)
	}
	for _, want := range []string{
		"seen:   3 events, first seen 2024-05-01T10:00:00Z, last seen 2024-05-01T10:40:00Z",
		`context acted_on_self: true`, `context key_age_days: 0`, `context why: ["outside the change window"]`,
		`context enrichment: {"target":{"exists":false}}`, `agent aws-cli/2.15.0\x1b[2J`,
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("plain text lacks %q:\n%s", want, plain)
		}
	}
	colour := alert.TextWith(a, alert.TextOptions{Color: true})
	if !strings.HasPrefix(colour, "\x1b[1;31m[HIGH]\x1b[0m Service user deleted") || strings.Count(colour, "\x1b[") != 2 {
		t.Errorf("colour: only the severity tag is coloured:\n%q", colour)
	}
	if up := alert.TextUpdate(a, alert.TextOptions{}, false); strings.Count(up, "\n") != 1 || !strings.Contains(up, a.ID) || !strings.Contains(up, "3 events") {
		t.Errorf("update line %q", up)
	}
}
