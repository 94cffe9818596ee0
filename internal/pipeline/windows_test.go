package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/alert/schema"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/state"
)

const dedupRule = `# METADATA
# title: Key reactivated (dedup)
# custom:
#   id: TH-P-020
#   severity: MEDIUM
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   dedup: {window: 1h, by: [actor.arn, target.user_name]}
#   enrich: [target_mfa]
#   remediation:
#     summary: Deactivate it.
package builtin.p.dedup

alert contains {"msg": sprintf("%s reactivated a key of %s", [input.userIdentity.arn, input.requestParameters.userName]), "target": {"user_name": input.requestParameters.userName}} if {
	input.requestParameters.status == "Active"
}
`

const burstRule = `# METADATA
# title: Keys deleted in a burst
# custom:
#   id: TH-P-030
#   severity: HIGH
#   events: [iam.amazonaws.com:DeleteAccessKey]
#   threshold: {count: 3, window: 10m, by: [actor.arn]}
#   remediation:
#     summary: Contain the caller.
#     containment:
#       - title: Deactivate the caller's key
#         cli: ["aws iam update-access-key --user-name {{actor.name}} --access-key-id {{actor.access_key_id}} --status Inactive"]
package builtin.p.burst

alert contains {"msg": sprintf("%s deleted a key of %s", [input.userIdentity.arn, input.requestParameters.userName]), "target": {"user_name": input.requestParameters.userName, "access_key_id": input.requestParameters.accessKeyId}} if true
`

const windowLib = `package lib.cloudtrail

actor := {"type": input.userIdentity.type, "arn": input.userIdentity.arn, "name": input.userIdentity.userName, "access_key_id": input.userIdentity.accessKeyId}
`

func windowEngine(t *testing.T) *engine.Engine {
	t.Helper()
	p, err := rule.Load("p", "builtin", "rules", fstest.MapFS{
		"dedup.rego":  {Data: []byte(dedupRule)},
		"burst.rego":  {Data: []byte(burstRule)},
		"lib/ct.rego": {Data: []byte(windowLib)},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Modules, Deadline: testDeadline})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return e
}

var base = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func evt(name, actor, user, id string, minutes float64) event.Record {
	at := base.Add(time.Duration(minutes * float64(time.Minute))).Format(time.RFC3339)
	raw := fmt.Sprintf(`{"eventSource":"iam.amazonaws.com","eventName":%q,"eventID":%q,"eventTime":%q,"awsRegion":"us-east-1","recipientAccountId":"111122223333",`+
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s","userName":%q,"accessKeyId":"AKIAEXAMPLE%s"},`+
		`"requestParameters":{"userName":%q,"accessKeyId":"AKIAEXAMPLEKEY%s","status":"Active"}}`, name, id, at, actor, actor, strings.ToUpper(actor), user, strings.ToUpper(id))
	return event.Record{Raw: []byte(raw), Origin: event.Origin{File: "w.jsonl", Line: 1}, Header: event.Header{
		EventSource: "iam.amazonaws.com", EventName: name, EventID: id, EventTime: at, AWSRegion: "us-east-1", RecipientAccountID: "111122223333",
	}}
}

type mfaEnricher struct{ calls int }

func (m *mfaEnricher) Enrich(_ context.Context, lookups []string, _ engine.RuleInput) (engine.Enrichment, []string) {
	m.calls++
	return engine.NewEnrichment(ast.MustParseTerm(`{"reference_time": "2026-03-01T10:00:00Z", "unavailable": ["target_tags"], "target": {"user_name": "bob", "exists": true, "mfa": {"enabled": false, "devices": []}, "tags": {"tags": {}}}}`).Value),
		[]string{"enrichment unavailable: target_tags: AccessDenied: no"}
}

func TestDedupRedeliversTheFirstAlert(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	enr := &mfaEnricher{}
	p := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: sink, Idempotency: state.NewMemory(), Enricher: enr}

	first := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e1", 0))
	if first.Outcome != Alerted || len(first.Alerts) != 1 || first.Alerts[0].Dedup.Count != 1 {
		t.Fatalf("first event: %+v", first)
	}
	a1 := first.Alerts[0]
	if sub, _ := a1.Context["enrichment"].(map[string]any); sub == nil || fmt.Sprint(sub["target"]) != "map[exists:true mfa:map[devices:[] enabled:false] user_name:bob]" {
		t.Fatalf("context.enrichment must hold the declared lookups only: %v", a1.Context["enrichment"])
	}
	if fmt.Sprint(a1.Context["notes"]) != "[enrichment unavailable: target_tags: AccessDenied: no]" {
		t.Fatalf("notes: %v", a1.Context["notes"])
	}

	second := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e2", 20))
	if second.Outcome != Suppressed || fmt.Sprint(second.Reasons) != "[dedup]" || len(second.Alerts) != 0 || len(second.Updates) != 1 {
		t.Fatalf("second event: %+v", second)
	}
	u := second.Updates[0]
	if u.ID != a1.ID || u.Dedup.Count != 2 || u.Dedup.Key != a1.Dedup.Key || u.Dedup.FirstSeen != "2026-03-01T10:00:00Z" ||
		u.Dedup.LastSeen != "2026-03-01T10:20:00Z" || u.Event.ID != "e1" || u.Context["dedup_latest_event_id"] != "e2" {
		t.Fatalf("update: id %s (first %s) dedup %+v event %s context %v", u.ID, a1.ID, u.Dedup, u.Event.ID, u.Context)
	}
	if err := schema.ValidateAlert(u); err != nil {
		t.Fatalf("the update is not a valid Alert v1: %v", err)
	}

	if r := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e2", 20)); r.Outcome != Suppressed || fmt.Sprint(r.Reasons) != "[duplicate]" || len(r.Updates) != 0 {
		t.Fatalf("redelivered event: %+v", r)
	}
	if r := p.Process(ctx, evt("UpdateAccessKey", "mallory", "carol", "e3", 30)); r.Outcome != Alerted {
		t.Fatalf("another target is another group: %+v", r)
	}
	if r := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e4", 61)); r.Outcome != Alerted || r.Alerts[0].ID == a1.ID {
		t.Fatalf("after the window a new alert: %+v", r)
	}
	if p.Counts.Alerts() != 3 || p.Counts.Updates() != 1 || p.Counts.Suppressed(ReasonDedup) != 1 || p.Counts.Suppressed(ReasonDuplicate) != 1 {
		t.Fatalf("counts: %s", p.Counts.Summary())
	}
	if !strings.Contains(p.Counts.Summary(), "3 alerts, 1 updates (suppressed: duplicate=1 dedup=1)") {
		t.Fatalf("summary: %s", p.Counts.Summary())
	}
	if len(sink.alerts) != 4 {
		t.Fatalf("sink got %d deliveries, want 3 alerts and 1 update", len(sink.alerts))
	}
}

// burst is two actors' DeleteAccessKey calls, interleaved and out of order: mallory reaches
// three in ten minutes (10:01, 10:04, 10:07, then 10:09 folds in); trent has a stray at 10:00
// and three from 10:20; eve only two.
func burst() []event.Record {
	return []event.Record{
		evt("DeleteAccessKey", "mallory", "u1", "m3", 7),
		evt("DeleteAccessKey", "trent", "u2", "t2", 22),
		evt("DeleteAccessKey", "eve", "u3", "v1", 2),
		evt("DeleteAccessKey", "mallory", "u4", "m1", 1),
		evt("DeleteAccessKey", "trent", "u5", "t3", 29),
		evt("DeleteAccessKey", "eve", "u6", "v2", 3),
		evt("DeleteAccessKey", "mallory", "u7", "m2", 4),
		evt("DeleteAccessKey", "trent", "u8", "t0", 0),
		evt("DeleteAccessKey", "trent", "u9", "t1", 20),
		evt("DeleteAccessKey", "mallory", "u0", "m4", 9),
	}
}

func TestThresholdRaisesOneAlertPerActor(t *testing.T) {
	ctx := context.Background()
	run := func(recs []event.Record) (map[string]*alert.Alert, *Pipeline, []Result) {
		sink := &recordingSink{}
		p := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: sink, Idempotency: state.NewMemory(), Windows: state.NewMemoryWindows()}
		var results []Result
		for _, r := range recs {
			results = append(results, p.Process(ctx, r))
		}
		raised := map[string]*alert.Alert{}
		for _, res := range results {
			for _, a := range res.Alerts {
				if raised[a.Actor.ARN] != nil {
					t.Fatalf("second alert for %s: %s", a.Actor.ARN, a.Summary)
				}
				raised[a.Actor.ARN] = a
			}
		}
		return raised, p, results
	}
	live, p, results := run(burst())
	if len(live) != 2 {
		t.Fatalf("raised %d alerts, want one for mallory and one for trent", len(live))
	}
	m := live["arn:aws:iam::111122223333:user/mallory"]
	th, _ := m.Context["threshold"].(map[string]any)
	if m.Severity != "HIGH" || m.Dedup.Count != 3 || th == nil || th["count"] != 3 || th["window_start"] != "2026-03-01T10:01:00Z" {
		t.Fatalf("mallory's alert: severity %s dedup %+v threshold %v", m.Severity, m.Dedup, th)
	}
	if m.ID != state.ThresholdID("TH-P-030", m.Dedup.Key, base.Add(time.Minute)) {
		t.Fatalf("threshold alert id %s is not the window's deterministic id", m.ID)
	}
	listed := th["events"].([]alert.ListedEvent)
	if len(listed) != 3 || listed[0].EventID != "m1" || listed[2].EventID != "m3" || listed[1].Target["user_name"] != "u7" {
		t.Fatalf("listed events: %+v", listed)
	}
	if len(m.Target) != 0 {
		t.Fatalf("the deletions hit different users; no shared target: %v", m.Target)
	}
	if !strings.HasPrefix(m.Summary, "Keys deleted in a burst: 3 events by arn:aws:iam::111122223333:user/mallory within 10m0s (threshold 3)") {
		t.Fatalf("summary: %s", m.Summary)
	}
	if got := m.Remediation.Containment[0].CLI[0]; got != "aws iam update-access-key --user-name mallory --access-key-id AKIAEXAMPLEMALLORY --status Inactive" {
		t.Fatalf("remediation: %s", got)
	}
	if err := schema.ValidateAlert(m); err != nil {
		t.Fatal(err)
	}
	// m4 (10:09) folded into mallory's alert: re-delivered with the same id and count 4.
	last := results[len(results)-1]
	if last.Outcome != Suppressed || fmt.Sprint(last.Reasons) != "[threshold_folded]" || len(last.Updates) != 1 ||
		last.Updates[0].ID != m.ID || last.Updates[0].Dedup.Count != 4 || last.Updates[0].Dedup.LastSeen != "2026-03-01T10:09:00Z" {
		t.Fatalf("fold: %+v", last)
	}
	if p.Counts.Get(Alerted) != 2 || p.Counts.Suppressed(ReasonThresholdPending) != 7 || p.Counts.Suppressed(ReasonThresholdFolded) != 1 {
		t.Fatalf("counts: %s", p.Counts.Summary())
	}

	// Replay in event-time order raises the same alerts, with the same ids.
	sorted := burst()
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].EventTime < sorted[j].EventTime })
	replay, _, _ := run(sorted)
	for actor, a := range live {
		if replay[actor] == nil || replay[actor].ID != a.ID {
			t.Fatalf("%s: live id %s, replay %v", actor, a.ID, replay[actor])
		}
	}
}

type flakySink struct {
	recordingSink
	fail bool
}

func (s *flakySink) Send(ctx context.Context, as []*alert.Alert) error {
	if s.fail {
		return errors.New("queue unavailable")
	}
	return s.recordingSink.Send(ctx, as)
}

// TestWindowDeliveryRetry: a failed delivery releases the claim; the retry re-delivers the
// window's alert without counting the event twice.
func TestWindowDeliveryRetry(t *testing.T) {
	ctx := context.Background()
	sink := &flakySink{}
	p := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: sink, Idempotency: state.NewMemory(), Windows: state.NewMemoryWindows()}
	p.Process(ctx, evt("DeleteAccessKey", "mallory", "u1", "m1", 1))
	p.Process(ctx, evt("DeleteAccessKey", "mallory", "u2", "m2", 2))
	sink.fail = true
	if r := p.Process(ctx, evt("DeleteAccessKey", "mallory", "u3", "m3", 3)); r.Outcome != SinkFailed {
		t.Fatalf("failed delivery: %+v", r)
	}
	sink.fail = false
	r := p.Process(ctx, evt("DeleteAccessKey", "mallory", "u3", "m3", 3))
	if r.Outcome != Alerted || len(r.Alerts) != 1 || r.Alerts[0].Dedup.Count != 3 {
		t.Fatalf("retry must raise the threshold alert once, count 3: %+v", r)
	}
	sink.fail = true
	if r := p.Process(ctx, evt("DeleteAccessKey", "mallory", "u4", "m4", 4)); r.Outcome != SinkFailed {
		t.Fatalf("failed update: %+v", r)
	}
	sink.fail = false
	if r := p.Process(ctx, evt("DeleteAccessKey", "mallory", "u4", "m4", 4)); r.Outcome != Suppressed || len(r.Updates) != 1 || r.Updates[0].Dedup.Count != 4 {
		t.Fatalf("retried update: %+v", r)
	}
	if n := len(sink.alerts); n != 2 {
		t.Fatalf("sink got %d deliveries, want the alert and one update", n)
	}
}

// TestDedupRedeliveryAmongManyWindows: with the in-memory store, which keeps each window's
// alert packed, an update re-delivers the first alert exactly (only dedup and
// context.dedup_latest_event_id change), while many other windows of the rule are open; a
// window Lateness behind the latest events is still there, and one far behind is forgotten.
func TestDedupRedeliveryAmongManyWindows(t *testing.T) {
	ctx := context.Background()
	p := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: &recordingSink{}, Idempotency: state.NewMemory(), Windows: state.NewMemoryWindows()}
	first := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e1", 0))
	if first.Outcome != Alerted {
		t.Fatalf("first event: %+v", first)
	}
	a1 := first.Alerts[0]
	for i := range 120 {
		if r := p.Process(ctx, evt("UpdateAccessKey", fmt.Sprint("m", i%7), fmt.Sprint("user", i), fmt.Sprint("o", i), float64(i))); r.Outcome != Alerted {
			t.Fatalf("other group %d: %+v", i, r)
		}
	}
	// 59 minutes: an hour behind the latest event (at 119), within the window of e1.
	r := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e2", 59))
	if r.Outcome != Suppressed || len(r.Updates) != 1 {
		t.Fatalf("late event of the first window: %+v", r)
	}
	u := r.Updates[0]
	want := *a1
	want.Dedup = u.Dedup
	want.Context = map[string]any{"dedup_latest_event_id": "e2"}
	for k, v := range a1.Context {
		want.Context[k] = v
	}
	wb, _ := json.Marshal(&want)
	ub, _ := json.Marshal(u)
	if string(wb) != string(ub) {
		t.Fatalf("update is not the first alert:\n got %s\nwant %s", ub, wb)
	}
	if u.Dedup.Count != 2 || u.Dedup.LastSeen != "2026-03-01T10:59:00Z" {
		t.Fatalf("dedup %+v", u.Dedup)
	}
	// Event time moves on by a day: mallory's window of bob is forgotten, so an event
	// inside it, a day late, raises anew (same id as a fresh alert of that event).
	p.Process(ctx, evt("UpdateAccessKey", "trent", "zed", "z1", 24*60))
	late := p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", "e3", 30))
	if late.Outcome != Alerted || late.Alerts[0].ID == a1.ID {
		t.Fatalf("an event a day behind the others: %+v", late)
	}
}
