package alert_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
)

// TestQuotedPlaceholderNeverRenders: a rule whose template puts a placeholder inside shell
// quotes (or a substitution) reached the renderer without the load-time check (rules built
// in Go, an older bundle): the renderer refuses the command, and nothing it renders runs the
// value when pasted into a shell.
func TestQuotedPlaceholderNeverRenders(t *testing.T) {
	r := *testRule
	r.ID = "TH-TEST-QUOTED"
	r.Remediation = rule.Remediation{
		Summary: `Check "{{target.user_name}}".`,
		Containment: []rule.Step{{
			Title: "Look at {{target.user_name}}",
			CLI: []string{
				`aws iam get-user --user-name "{{target.user_name}}"`,
				`aws iam get-user --user-name '{{target.user_name}}'`,
				`aws iam get-user --user-name $(printf %s {{target.user_name}})`,
				"aws iam get-user --user-name `printf %s {{target.user_name}}`",
				`aws iam get-user --user-name \{{target.user_name}}`,
				`aws iam list-access-keys --user-name {{target.user_name}}`,
			},
		}},
	}
	r.Runbook = []string{`Run "aws iam get-user --user-name {{target.user_name}}"`, "Ask {{target.user_name}}"}
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	evil := "$(touch " + marker + ")`touch " + marker + "`"
	rec := event.Record{Raw: []byte(record), Header: event.Header{
		EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", EventID: "e1",
		EventTime: "2024-05-01T10:00:00Z", AWSRegion: "us-east-1", RecipientAccountID: "111122223333",
	}}
	a, err := alert.Build(alert.Input{
		Finding: engine.Finding{Rule: &r, Msg: "m", Target: map[string]string{"user_name": evil}, Of: 1},
		Record:  rec, Now: time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	st := a.Remediation.Containment[0]
	if len(st.CLI) != 1 || !strings.HasPrefix(st.CLI[0], "aws iam list-access-keys --user-name '") {
		t.Fatalf("cli = %q, want only the command whose placeholder is a word of its own", st.CLI)
	}
	if len(st.Omitted) != 5 {
		t.Fatalf("omitted = %q, want the 5 refused commands named", st.Omitted)
	}
	for _, o := range st.Omitted {
		if !strings.HasPrefix(o, "command refused: its placeholder {{target.user_name}} stands ") || strings.Contains(o, marker) {
			t.Errorf("omitted entry %q", o)
		}
	}
	if a.Remediation.Summary != `Check "<refused target.user_name>".` || len(a.Runbook) != 1 {
		t.Fatalf("summary %q runbook %q", a.Remediation.Summary, a.Runbook)
	}
	var texts []string
	texts = append(texts, a.Remediation.Summary, st.Title)
	texts = append(texts, st.CLI...)
	texts = append(texts, a.Runbook...)
	for _, s := range texts {
		// What an analyst pastes: aws is a no-op here; the shell still expands everything.
		if out, err := exec.Command("bash", "-c", "aws() { :; }; "+s).CombinedOutput(); err != nil {
			t.Logf("%q: %v %s", s, err, out) // prose need not be a valid command
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatalf("a rendered entry ran the value: %q", texts)
	}
}
