package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/state"
)

const testRule = `# METADATA
# title: Key reactivated
# custom:
#   id: TH-P-001
#   severity: HIGH
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   remediation:
#     summary: Deactivate it.
#     containment:
#       - title: Deactivate
#         cli: ["aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"]
package builtin.p.reactivated

alert contains {"msg": "reactivated", "target": {"user_name": input.requestParameters.userName, "access_key_id": input.requestParameters.accessKeyId}} if {
	input.requestParameters.status == "Active"
}
`

const brokenRule = `# METADATA
# title: Broken
# custom:
#   id: TH-P-002
#   severity: LOW
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   remediation:
#     summary: None.
package builtin.p.broken

alert contains {"msg": sprintf("%d", [to_number(input.requestParameters.userName)])} if input.requestParameters.userName == "boom"
`

const lib = "package lib.cloudtrail\n\nactor := {\"type\": input.userIdentity.type, \"arn\": input.userIdentity.arn}\n"

type recordingSink struct {
	mu     sync.Mutex
	alerts []*alert.Alert
	fail   error
}

func (s *recordingSink) Send(_ context.Context, as []*alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.alerts = append(s.alerts, as...)
	return nil
}

func newPipeline(t *testing.T, s Sink) *Pipeline {
	t.Helper()
	p, err := rule.Load("p", "builtin", "rules", fstest.MapFS{
		"r.rego":      {Data: []byte(testRule)},
		"b.rego":      {Data: []byte(brokenRule)},
		"lib/ct.rego": {Data: []byte(lib)},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Modules, Deadline: testDeadline})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return &Pipeline{Rules: rulesOf(e), Sink: s, Idempotency: state.NewMemory()}
}

func rec(user, status, id string) event.Record {
	raw := `{"eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","eventID":"` + id + `","eventTime":"2026-01-01T00:00:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/m"},"requestParameters":{"userName":"` + user + `","accessKeyId":"AKIAEXAMPLE","status":"` + status + `"}}`
	return event.Record{Raw: []byte(raw), Origin: event.Origin{File: "t.jsonl", Line: 1}, Header: event.Header{
		EventSource: "iam.amazonaws.com", EventName: "UpdateAccessKey", EventID: id, EventTime: "2026-01-01T00:00:00Z",
		AWSRegion: "us-east-1", RecipientAccountID: "111122223333",
	}}
}

func TestOutcomes(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	p := newPipeline(t, sink)
	var reported []string
	p.OnError = func(err error) { reported = append(reported, err.Error()) }

	if r := p.Process(ctx, event.Record{Header: event.Header{EventSource: "s3.amazonaws.com", EventName: "GetObject"}}); r.Outcome != NoMatch {
		t.Fatalf("unselected: %v", r.Outcome)
	}
	if r := p.Process(ctx, rec("bob", "Inactive", "e0")); r.Outcome != NoMatch {
		t.Fatalf("selected, no finding: %v", r.Outcome)
	}
	r := p.Process(ctx, rec("bob", "Active", "e1"))
	if r.Outcome != Alerted || len(r.Alerts) != 1 || r.Alerts[0].Actor.ARN != "arn:aws:iam::111122223333:user/m" {
		t.Fatalf("alerted: %+v", r)
	}
	if got := r.Alerts[0].Remediation.Containment[0].CLI[0]; got != "aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE --status Inactive" {
		t.Fatalf("cli %q", got)
	}
	if r := p.Process(ctx, rec("bob", "Active", "e1")); r.Outcome != Suppressed {
		t.Fatalf("duplicate delivery: %v", r.Outcome)
	}
	if r := p.Process(ctx, rec("boom", "Active", "e2")); r.Outcome != RuleError || len(r.Alerts) != 1 {
		t.Fatalf("rule error with a healthy rule alerting too: %+v", r)
	}
	if !strings.Contains(strings.Join(reported, "\n"), "TH-P-002") || !strings.Contains(strings.Join(reported, "\n"), "t.jsonl:1") {
		t.Fatalf("rule error not reported with rule id and origin: %q", reported)
	}
	bad := rec("x", "Active", "e3")
	bad.Raw = []byte(`{"eventSource": "iam.amazonaws.com",`)
	if r := p.Process(ctx, bad); r.Outcome != Malformed {
		t.Fatalf("unparseable selected record: %v", r.Outcome)
	}
	p.Malformed(errors.New("decode failure"))

	sink.fail = errors.New("queue unavailable")
	if r := p.Process(ctx, rec("carol", "Active", "e4")); r.Outcome != SinkFailed {
		t.Fatalf("sink failure: %v", r.Outcome)
	}
	sink.fail = nil
	if r := p.Process(ctx, rec("carol", "Active", "e4")); r.Outcome != Alerted {
		t.Fatalf("retry after a sink failure must alert (claim released): %v", r.Outcome)
	}

	want := map[Outcome]int64{NoMatch: 2, Alerted: 2, Suppressed: 1, RuleError: 1, Malformed: 2, SinkFailed: 1}
	for _, o := range Outcomes() {
		if p.Counts.Get(o) != want[o] {
			t.Errorf("%s = %d, want %d", o, p.Counts.Get(o), want[o])
		}
	}
	if p.Counts.Records() != 9 || p.Counts.Alerts() != 3 || p.Counts.MaxSeverity() != rule.High || !p.Counts.Failed() {
		t.Fatalf("counts: %s max %v", p.Counts.Summary(), p.Counts.MaxSeverity())
	}
	if len(sink.alerts) != 3 {
		t.Fatalf("sink got %d alerts", len(sink.alerts))
	}
}

// An actor the lib cannot resolve (here a builtin error; live, a deadline under load) still
// lets the alerts out, noting it, and counts the record as rule_error: never silent.
func TestActorFailureIsCounted(t *testing.T) {
	p, err := rule.Load("p", "builtin", "rules", fstest.MapFS{
		"r.rego":      {Data: []byte(testRule)},
		"lib/ct.rego": {Data: []byte("package lib.cloudtrail\n\nactor := {\"n\": to_number(input.userIdentity.type)}\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	e, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Modules, Deadline: testDeadline})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	sink := &recordingSink{}
	pl := &Pipeline{Rules: rulesOf(e), Sink: sink, Idempotency: state.NewMemory()}
	var reported []string
	pl.OnError = func(err error) { reported = append(reported, err.Error()) }
	r := pl.Process(context.Background(), rec("bob", "Active", "e1"))
	if r.Outcome != RuleError || len(sink.alerts) != 1 {
		t.Fatalf("outcome %v, %d alerts delivered; want rule_error with the alert delivered", r.Outcome, len(sink.alerts))
	}
	notes, _ := sink.alerts[0].Context["notes"].([]string)
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, "actor unresolved: ") }) {
		t.Fatalf("alert does not note the unresolved actor: %q", notes)
	}
	if len(reported) != 1 || !strings.Contains(reported[0], "t.jsonl:1") || !strings.Contains(reported[0], "resolve actor") {
		t.Fatalf("reported %q", reported)
	}
	if got := pl.Counts.Get(RuleError); got != 1 {
		t.Fatalf("rule_error count %d", got)
	}
}
