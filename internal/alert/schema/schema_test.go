package schema_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/alert/schema"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
)

func sample(t *testing.T) alert.Alert {
	t.Helper()
	r := &rule.Rule{Package: "builtin.x.y", Team: "builtin", Metadata: rule.Metadata{
		ID: "TH-IAM-001", Title: "Access key reactivated", Version: "1", Severity: rule.High,
		Remediation: rule.Remediation{Summary: "Deactivate it.", Containment: []rule.Step{{
			Title: "Deactivate", CLI: []string{"aws iam update-access-key --user-name {{target.user_name}} --access-key-id AKIAEXAMPLE --status Inactive"},
		}}},
	}}
	a, err := alert.Build(alert.Input{
		Finding: engine.Finding{Rule: r, Msg: "m", Target: map[string]string{"user_name": "bob"}, Severity: rule.High, Of: 1},
		Record: event.Record{Raw: []byte(`{"sourceIPAddress":"192.0.2.1"}`), Header: event.Header{
			EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", EventID: "e1", EventTime: "2024-05-01T10:00:00Z",
			AWSRegion: "us-east-1", RecipientAccountID: "111122223333"}},
		Now: time.Date(2024, 5, 1, 10, 0, 5, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.ValidateAlert(&a); err != nil {
		t.Fatalf("a built alert fails the schema: %v", err)
	}
	return a
}

func TestSchemaRejectsBrokenAlerts(t *testing.T) {
	a := sample(t)
	good, _ := json.Marshal(a)
	for name, mutate := range map[string]func(m map[string]any){
		"missing id":    func(m map[string]any) { delete(m, "id") },
		"bad severity":  func(m map[string]any) { m["severity"] = "URGENT" },
		"wrong version": func(m map[string]any) { m["schema_version"] = "2" },
		"renamed field": func(m map[string]any) { m["remediations"] = m["remediation"]; delete(m, "remediation") },
		"cli not aws": func(m map[string]any) {
			m["remediation"].(map[string]any)["containment"].([]any)[0].(map[string]any)["cli"] = []any{"rm -rf /"}
		},
		"target not flat": func(m map[string]any) { m["target"] = map[string]any{"user_name": 3} },
		"bad created_at":  func(m map[string]any) { m["created_at"] = "yesterday" },
	} {
		var c map[string]any
		_ = json.Unmarshal(good, &c)
		mutate(c)
		b, _ := json.Marshal(c)
		if err := schema.Validate(b); err == nil {
			t.Errorf("%s: schema accepted it", name)
		}
	}
}

func TestSchemaAcceptsTunedAlerts(t *testing.T) {
	a := sample(t)
	alert.AddSeverityReason(&a, rule.Low, "exception", "sanctioned rotation")
	a.Tuning = &alert.Tuning{Staged: true, Exception: &alert.TuningException{ID: "TUNE-001", Action: "set_severity", SeverityBefore: "HIGH", Owner: "secops@example.com", Reason: "sanctioned rotation", Expires: "2027-06-30"}}
	if a.Severity != "LOW" || len(a.SeverityReasons) != 1 || a.SeverityReasons[0].From != "HIGH" {
		t.Fatalf("AddSeverityReason: %+v", a.SeverityReasons)
	}
	if err := schema.ValidateAlert(&a); err != nil {
		t.Fatalf("a tuned alert fails the schema: %v", err)
	}
	a.Tuning.Exception.Action = "raise"
	if err := schema.ValidateAlert(&a); err == nil {
		t.Fatal("an unknown tuning action passed the schema")
	}
}
