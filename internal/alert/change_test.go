package alert_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/alert/schema"
	"github.com/trailhound/trailhound/internal/rule"
)

func jsonOf(t *testing.T, a *alert.Alert) string {
	t.Helper()
	b, err := alert.JSON(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCloneIsACopyThatChangesAlone(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLE"})
	a.FlagEventTimeAhead("2099-01-01T00:00:00Z", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), "file", time.Hour)
	// Room to append in place: a clone sharing the array would write into a's reasons.
	a.SeverityReasons = append(make([]alert.SeverityReason, 0, 8), a.SeverityReasons...)
	before := jsonOf(t, &a)

	c := a.Clone()
	if got := jsonOf(t, c); got != before {
		t.Fatalf("clone encodes differently:\n%s\nwant:\n%s", got, before)
	}
	c.FlagEventTimeAhead("2099-01-02T00:00:00Z", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), "wall clock", 2*time.Hour)
	c.SetSeen(alert.Seen{Count: 7, First: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC), Last: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)})
	c.MarkTuned(true)
	alert.AddSeverityReason(c, rule.Low, "exception", "clone's")
	alert.AddSeverityReason(&a, rule.Medium, "exception", "original's")
	c.BreakGlass(rule.Critical, "payments", "arn:aws:iam::111122223333:role/bg", "sec", "incident")
	if len(a.SeverityReasons) == 0 || a.SeverityReasons[len(a.SeverityReasons)-1].Reason != "original's" {
		t.Fatalf("the original's severity reasons changed with the clone's: %+v", a.SeverityReasons)
	}
	a.SeverityReasons = a.SeverityReasons[:len(a.SeverityReasons)-1]
	a.Severity = "CRITICAL"
	if got := jsonOf(t, &a); got != before {
		t.Fatalf("changing the clone changed the original:\n%s\nwant:\n%s", got, before)
	}
	if c.Dedup.Count != 7 || c.Dedup.Key != a.Dedup.Key || c.Tuning == nil || !c.BrokeGlass() || a.BrokeGlass() {
		t.Fatalf("the clone's changes: dedup %+v tuning %+v", c.Dedup, c.Tuning)
	}
	if notes := c.Context["notes"].([]string); len(notes) != 2 || len(a.Context["notes"].([]string)) != 1 {
		t.Fatalf("notes: clone %q original %q", notes, a.Context["notes"])
	}
}

func TestDecodeReadsWhatJSONWrites(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLE"})
	d, err := alert.Decode([]byte(jsonOf(t, &a)))
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, d) != jsonOf(t, &a) {
		t.Fatalf("decoded alert encodes differently")
	}
	if _, err := alert.Decode([]byte(`{"id":`)); err == nil {
		t.Fatal("truncated JSON decoded")
	}
}

func TestDedupUpdate(t *testing.T) {
	first := build(t, map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLE"})
	before := jsonOf(t, &first)
	seen := alert.Seen{Count: 3, First: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Last: time.Date(2024, 5, 1, 10, 20, 0, 500, time.FixedZone("x", 3600))}
	u := alert.DedupUpdate(&first, first.Dedup.Key, "e9", seen)
	if jsonOf(t, &first) != before {
		t.Fatal("DedupUpdate changed the first alert")
	}
	want := alert.Dedup{Key: first.Dedup.Key, Count: 3, FirstSeen: "2024-05-01T10:00:00Z", LastSeen: "2024-05-01T09:20:00Z"}
	if u.ID != first.ID || u.Dedup != want || u.Context["dedup_latest_event_id"] != "e9" {
		t.Fatalf("update: id %s dedup %+v context %v", u.ID, u.Dedup, u.Context)
	}
	if n := alert.DedupUpdate(&first, "k", "e9", alert.Seen{}); n.Dedup.Count != 1 {
		t.Fatalf("count %d: an alert stands for at least one event", n.Dedup.Count)
	}
	if err := schema.ValidateAlert(u); err != nil {
		t.Fatal(err)
	}
}

func TestThreshold(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLE"})
	alert.AddSeverityReason(&a, rule.Low, "exception", "the event's")
	a.MarkTuned(true)
	before := jsonOf(t, &a)
	r := *testRule
	r.Dedup = nil
	r.Threshold = &rule.Threshold{Count: 2, Window: rule.Duration{Duration: 10 * time.Minute}, By: []string{"actor.arn"}}
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	listed := []alert.ListedEvent{
		alert.Listed(&a),
		{EventID: "e2", Target: map[string]string{"user_name": "bob", "access_key_id": "AKIAOTHER"}},
	}
	th := alert.Threshold(&a, &r, alert.ThresholdWindow{
		ID: strings.Repeat("ab", 16), Key: "k1", Values: []string{a.Actor.ARN}, Start: t0, End: t0.Add(10 * time.Minute),
		Seen: alert.Seen{Count: 3, First: t0, Last: t0.Add(time.Minute)}, Events: listed,
	})
	if jsonOf(t, &a) != before {
		t.Fatal("Threshold changed the event's alert")
	}
	if th.ID != strings.Repeat("ab", 16) || th.Severity != "HIGH" || th.SeverityReasons != nil || th.Tuning != nil {
		t.Fatalf("threshold alert: id %s severity %s reasons %v tuning %v", th.ID, th.Severity, th.SeverityReasons, th.Tuning)
	}
	if !reflect.DeepEqual(th.Target, map[string]string{"user_name": "bob"}) {
		t.Fatalf("target %v: only what every listed event shares", th.Target)
	}
	want := alert.Dedup{Key: "k1", Count: 3, FirstSeen: "2024-05-01T10:00:00Z", LastSeen: "2024-05-01T10:01:00Z"}
	if th.Dedup != want {
		t.Fatalf("dedup %+v", th.Dedup)
	}
	ctx := th.Context["threshold"].(map[string]any)
	if ctx["count"] != 3 || ctx["threshold"] != 2 || ctx["window"] != "10m0s" || ctx["events_truncated"] != true ||
		ctx["window_end"] != "2024-05-01T10:10:00Z" || !reflect.DeepEqual(ctx["by"], map[string]string{"actor.arn": a.Actor.ARN}) {
		t.Fatalf("context.threshold %v", ctx)
	}
	if !strings.HasPrefix(th.Summary, "Access key reactivated: 3 events by arn:aws:iam::111122223333:user/alice within 10m0s (threshold 2)") {
		t.Fatalf("summary %q", th.Summary)
	}
	if err := schema.ValidateAlert(th); err != nil {
		t.Fatal(err)
	}
}

func TestHealth(t *testing.T) {
	in := alert.HealthInput{
		RuleID: "TH-HEALTH-001", Team: "payments", Title: "Team rule pack not loaded", Summary: "s", Severity: rule.High,
		EventName: "RulePackLoad", Target: map[string]string{"team": "payments"}, Context: map[string]any{"error": "e"},
		Remediation: "fix it", Runbook: []string{"read it"}, IDParts: []string{"payments", "pack", "r1"},
		Now: time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC),
	}
	a := alert.Health(in)
	if a.Rule.ID != "TH-HEALTH-001" || a.Rule.Team != "payments" || a.Severity != "HIGH" || a.Event.Source != "trailhound" ||
		a.Event.Time != "2024-05-01T10:00:00Z" || a.CreatedAt != in.Now.Truncate(time.Millisecond) || a.Dedup.Key != a.ID || a.Dedup.Count != 1 {
		t.Fatalf("health alert %+v", a)
	}
	if err := schema.ValidateAlert(a); err != nil {
		t.Fatal(err)
	}
	in.Now = in.Now.Add(time.Hour)
	if b := alert.Health(in); b.ID != a.ID {
		t.Fatalf("id %s then %s: the same parts must give the same id", a.ID, b.ID)
	}
	// Parts are separated: moving a boundary changes the id.
	in.IDParts = []string{"paymentsp", "ack", "r1"}
	if b := alert.Health(in); b.ID == a.ID {
		t.Fatal("different parts gave the same id")
	}
}

func TestBreakGlassAndTuningMarks(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob"})
	a.Severity = "MEDIUM"
	a.SeverityReasons = nil
	a.BreakGlass(rule.Critical, "payments", "arn:bg", "sec", "incident 7")
	bg, _ := a.Context["break_glass"].(map[string]any)
	if !a.BrokeGlass() || a.Severity != "CRITICAL" || bg["severity_before"] != "MEDIUM" || bg["actor_arn"] != "arn:bg" {
		t.Fatalf("break glass: severity %s context %v", a.Severity, bg)
	}
	want := []alert.SeverityReason{{Change: "raised", From: "MEDIUM", To: "CRITICAL", By: "break_glass", Reason: "break-glass principal arn:bg of team payments (sec): incident 7"}}
	if !reflect.DeepEqual(a.SeverityReasons, want) {
		t.Fatalf("reasons %+v", a.SeverityReasons)
	}

	b := build(t, map[string]string{"user_name": "bob"})
	b.MarkTuned(false)
	b.MarkException("ex-1", "set_severity", "sec", "noisy", "2030-01-01")
	alert.AddSeverityReason(&b, rule.Low, "exception", "exception ex-1")
	wantEx := alert.TuningException{ID: "ex-1", Action: "set_severity", SeverityBefore: "CRITICAL", Owner: "sec", Reason: "noisy", Expires: "2030-01-01"}
	if b.Tuning == nil || b.Tuning.Staged || b.Tuning.Exception == nil || *b.Tuning.Exception != wantEx || b.Severity != "LOW" {
		t.Fatalf("tuning %+v severity %s", b.Tuning, b.Severity)
	}
	b.MarkTuned(true)
	if !b.Tuning.Staged || b.Tuning.Exception != nil {
		t.Fatalf("MarkTuned replaces the record: %+v", b.Tuning)
	}
	if err := schema.ValidateAlert(&b); err != nil {
		t.Fatal(err)
	}
}

func TestFlagEventTimeAhead(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob"})
	a.Context["notes"] = []string{"earlier"}
	shared := a.Context["notes"].([]string)
	a.FlagEventTimeAhead("2099-01-01T00:00:00Z", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), "file", 90*time.Minute+400*time.Millisecond)
	ahead := a.Context["event_time_ahead"].(map[string]any)
	if ahead["event_time"] != "2099-01-01T00:00:00Z" || ahead["clock"] != "file" || ahead["ahead"] != "1h30m0s" || ahead["trusted_clock"] != "2024-05-01T10:00:00Z" {
		t.Fatalf("event_time_ahead %v", ahead)
	}
	notes := a.Context["notes"].([]string)
	if len(notes) != 2 || notes[0] != "earlier" || !strings.Contains(notes[1], "ahead of the trusted clock (file, 2024-05-01T10:00:00Z) by 1h30m0s") {
		t.Fatalf("notes %q", notes)
	}
	if len(shared) != 1 {
		t.Fatal("the notes were changed in place")
	}
}

func TestTrimmedAndMapEventText(t *testing.T) {
	a := build(t, map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLE"})
	a.Event.UserAgent = "see http://x"
	a.Context["list"] = []any{"http://y", map[string]any{"u": "http://z"}, 1}
	before := jsonOf(t, &a)

	tr := a.Trimmed("too big")
	if !reflect.DeepEqual(tr.Context, map[string]any{"trimmed": "too big"}) || tr.Remediation.Steps != nil || tr.Remediation.Backout != nil ||
		tr.Runbook != nil || len(tr.Remediation.Containment) == 0 || tr.ID != a.ID {
		t.Fatalf("trimmed %+v", tr)
	}

	up := a.MapEventText(strings.ToUpper)
	if jsonOf(t, &a) != before {
		t.Fatal("Trimmed or MapEventText changed the alert")
	}
	if up.Event.UserAgent != "SEE HTTP://X" || up.Actor.Name != "ALICE" || up.Target["user_name"] != "BOB" || up.Summary != strings.ToUpper(a.Summary) ||
		up.Remediation.Containment[0].Title != strings.ToUpper(a.Remediation.Containment[0].Title) {
		t.Fatalf("mapped %+v", up)
	}
	if !reflect.DeepEqual(up.Context["list"], []any{"HTTP://Y", map[string]any{"u": "HTTP://Z"}, 1}) {
		t.Fatalf("mapped context %v", up.Context["list"])
	}
	if up.Rule.Title != a.Rule.Title || !reflect.DeepEqual(up.Remediation.Containment[0].CLI, a.Remediation.Containment[0].CLI) || up.Runbook[0] != a.Runbook[0] {
		t.Fatal("rule text and commands must be left as they are")
	}
}
