package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

const teamRule = `# METADATA
# title: Service user key deactivated
# custom:
#   id: PAY-001
#   severity: MEDIUM
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   remediation:
#     summary: Check it.
package teams.pay.deactivated

alert contains {"msg": "deactivated"} if {
	input.requestParameters.userName == "svc"
	input.requestParameters.status == "Inactive"
}
`

const slowTeamRule = `# METADATA
# title: Slow
# custom:
#   id: SLOW-001
#   severity: LOW
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   remediation:
#     summary: None.
package teams.slow.spin

alert contains {"msg": "never"} if {
	input.requestParameters.userName == "spin"
	# Endless (8e9 iterations, no memory): only a deadline stops it.
	some i in numbers.range(1, 2000)
	some j in numbers.range(1, 2000)
	some k in numbers.range(1, 2000)
	i + j + k < 0
}
`

// newTeamPipeline is newPipeline with team packs beside the built-in test pack;
// packDeadline, when > 0, is the engine's PackDeadline (TestPackDeadline).
func newTeamPipeline(t *testing.T, s Sink, teams map[string]string, packDeadline time.Duration) *Pipeline {
	t.Helper()
	builtin, err := rule.Load("p", builtinTeam, "rules", fstest.MapFS{"r.rego": {Data: []byte(testRule)}, "lib/ct.rego": {Data: []byte(lib)}})
	if err != nil {
		t.Fatal(err)
	}
	packs := []*rule.Pack{builtin}
	for team, src := range teams {
		p, err := rule.Load(team, team, "teams/"+team, fstest.MapFS{"r.rego": {Data: []byte(src)}})
		if err != nil {
			t.Fatal(err)
		}
		packs = append(packs, p)
	}
	// A per-rule deadline no healthy rule comes near however busy the machine; the pack
	// deadline (TestPackDeadline) is what cuts the endless team rule.
	e, errs := engine.New(context.Background(), packs, engine.Options{Lib: libOf(builtin), Deadline: testDeadline, PackDeadline: packDeadline, TrustedTeam: builtinTeam})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return &Pipeline{Rules: rulesOf(e), Sink: s, Idempotency: state.NewMemory()}
}

// builtinTeam is the team of the test's built-in pack.
const builtinTeam = "builtin"

// testRules is the RuleSet of the tests: the engine's selection (with team rules left out
// of records over limit bytes when limit > 0), and the team policy, unloaded packs and
// tuning the test sets.
type testRules struct {
	eng    *engine.Engine
	policy interface {
		Apply(*alert.Alert) (team.Suppressed, bool)
	}
	unloaded fakeUnloaded
	tuning   tuning.Tuner
	limit    int
}

func rulesOf(e *engine.Engine) *testRules { return &testRules{eng: e} }

// rulesIn is p's testRules, for a test to change.
func rulesIn(p *Pipeline) *testRules { return p.Rules.(*testRules) }

func (r *testRules) Select(eventSource, eventName string, size int) (engine.Selection, error) {
	sel := r.eng.Select(eventSource, eventName)
	if r.limit <= 0 || size <= r.limit {
		return sel, nil
	}
	kept := sel.Without(func(x *rule.Rule) bool { return x.Team != builtinTeam })
	if n := sel.Len() - kept.Len(); n > 0 {
		return kept, fmt.Errorf("record of %d bytes is over the %d-byte limit for team rules: %d team rule(s) not evaluated", size, r.limit, n)
	}
	return sel, nil
}

func (r *testRules) Unavailable(eventSource, eventName string) []error {
	if r.unloaded == nil {
		return nil
	}
	return r.unloaded.Unavailable(eventSource, eventName)
}

func (r *testRules) Rules() []*rule.Rule { return r.eng.Rules() }

func (r *testRules) Apply(a *alert.Alert) (team.Suppressed, bool) {
	if r.policy == nil {
		return team.Suppressed{}, false
	}
	return r.policy.Apply(a)
}

func (r *testRules) Tuner() tuning.Tuner { return r.tuning }

type fakePolicy struct{ suppress, escalate string }

func (f fakePolicy) Apply(a *alert.Alert) (team.Suppressed, bool) {
	switch a.Rule.ID {
	case f.suppress:
		return team.Suppressed{ID: "PAY-S-001", Team: a.Rule.Team, Owner: "alice", Reason: "rotation job", Expires: "2026-12-31", AlertID: a.ID, RuleID: a.Rule.ID}, true
	case f.escalate:
		a.Severity = "CRITICAL"
	}
	return team.Suppressed{}, false
}

type fakeUnloaded map[string]error

func (f fakeUnloaded) Unavailable(_, name string) []error {
	if err := f[name]; err != nil {
		return []error{err}
	}
	return nil
}

func TestTeamSuppressionIsCountedAndReported(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	p := newTeamPipeline(t, sink, map[string]string{"pay": teamRule}, 0)
	rulesIn(p).policy = fakePolicy{suppress: "PAY-001"}
	var told []team.Suppressed
	p.OnSuppress = func(o event.Origin, s team.Suppressed) { told = append(told, s) }

	r := p.Process(ctx, rec("svc", "Inactive", "e1"))
	if r.Outcome != Suppressed || len(r.Reasons) != 1 || r.Reasons[0] != ReasonSuppression || len(sink.alerts) != 0 {
		t.Fatalf("suppressed team alert: %+v, sink %d", r, len(sink.alerts))
	}
	if len(told) != 1 || told[0].ID != "PAY-S-001" || told[0].RuleID != "PAY-001" || told[0].AlertID == "" || told[0].Alert == nil || told[0].Alert.ID != told[0].AlertID {
		t.Fatalf("OnSuppress: %+v", told)
	}
	// The built-in rule is not suppressed by a team's policy.
	if r := p.Process(ctx, rec("bob", "Active", "e2")); r.Outcome != Alerted {
		t.Fatalf("built-in alert: %v", r.Outcome)
	}
	if p.Counts.Suppressed(ReasonSuppression) != 1 || p.Counts.Suppressions()["PAY-S-001"] != 1 {
		t.Fatalf("counts: %s", p.Counts.Summary())
	}
	if s := p.Counts.Summary(); !strings.Contains(s, "suppression=1") || !strings.Contains(s, "by suppression: PAY-S-001=1") {
		t.Fatalf("summary %q", s)
	}
	rulesIn(p).policy = fakePolicy{escalate: "PAY-001"}
	r = p.Process(ctx, rec("svc", "Inactive", "e3"))
	if r.Outcome != Alerted || r.Alerts[0].Severity != "CRITICAL" || p.Counts.MaxSeverity() != rule.Critical {
		t.Fatalf("escalated alert: %+v", r)
	}
}

func TestUnloadedPackMakesItsEventsRuleErrors(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	p := newTeamPipeline(t, sink, nil, 0)
	var reported []string
	p.OnError = func(err error) { reported = append(reported, err.Error()) }
	rulesIn(p).unloaded = fakeUnloaded{
		"UpdateAccessKey": errors.New("team ledger: rule pack teams/ledger is not loaded"),
		"CreateAccessKey": errors.New("team ledger: rule pack teams/ledger is not loaded"),
	}
	r := p.Process(ctx, rec("bob", "Active", "e1"))
	if r.Outcome != RuleError || len(r.Alerts) != 1 {
		t.Fatalf("built-in alert beside an unloaded pack: %+v", r)
	}
	create := rec("bob", "Active", "e2")
	create.EventName = "CreateAccessKey" // no loaded rule declares it
	if r := p.Process(ctx, create); r.Outcome != RuleError {
		t.Fatalf("event only the unloaded pack declared: %v", r.Outcome)
	}
	other := rec("bob", "Active", "e3")
	other.EventName = "DeleteUser"
	if r := p.Process(ctx, other); r.Outcome != NoMatch {
		t.Fatalf("event nobody declared: %v", r.Outcome)
	}
	if len(reported) != 2 || !strings.Contains(reported[0], "t.jsonl:1") || !strings.Contains(reported[0], "teams/ledger") {
		t.Fatalf("reported %q", reported)
	}
}

func TestTeamInputLimit(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	p := newTeamPipeline(t, sink, map[string]string{"pay": teamRule}, 0)
	var reported []string
	p.OnError = func(err error) { reported = append(reported, err.Error()) }
	rulesIn(p).limit = 1024

	if r := p.Process(ctx, rec("svc", "Inactive", "e1")); r.Outcome != Alerted {
		t.Fatalf("small record: team rule not evaluated: %v", r.Outcome)
	}
	if r := p.Process(ctx, padded(rec("svc", "Inactive", "e2"), 2048)); r.Outcome != NoMatch {
		t.Fatalf("oversized record: team rule evaluated: %v", r.Outcome)
	}
	if r := p.Process(ctx, padded(rec("bob", "Active", "e3"), 2048)); r.Outcome != Alerted || r.Alerts[0].Rule.ID != "TH-P-001" {
		t.Fatalf("oversized record: built-in rules must still run: %+v", r)
	}
	if p.Counts.Oversize() != 2 || !strings.Contains(p.Counts.Summary(), "2 records over the team input limit") {
		t.Fatalf("oversize not counted: %s", p.Counts.Summary())
	}
	if len(reported) != 2 || !strings.Contains(reported[0], "over the 1024-byte limit for team rules: 1 team rule(s) not evaluated") {
		t.Fatalf("reported %q", reported)
	}
}

func TestPackDeadline(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	// Generous for the healthy packs however busy the machine; the endless rule never ends,
	// so only this deadline lets the event through (else the test hangs to go test's timeout).
	p := newTeamPipeline(t, sink, map[string]string{"slow": slowTeamRule, "pay": teamRule}, 2*time.Second)
	var reported []string
	p.OnError = func(err error) { reported = append(reported, err.Error()) }

	r := p.Process(ctx, rec("spin", "Active", "e1"))
	if r.Outcome != RuleError || len(r.Alerts) != 1 || r.Alerts[0].Rule.ID != "TH-P-001" {
		t.Fatalf("slow team pack beside the built-in rule: %+v", r)
	}
	if len(reported) != 1 || !strings.Contains(reported[0], "SLOW-001") || !strings.Contains(reported[0], "team slow's pack used up its 2s per event") {
		t.Fatalf("reported %q", reported)
	}
	// Another team's pack is unaffected by the slow one.
	if r := p.Process(ctx, rec("svc", "Inactive", "e2")); r.Outcome != Alerted || r.Alerts[0].Rule.ID != "PAY-001" {
		t.Fatalf("healthy team pack: %+v", r)
	}
}

func libOf(p *rule.Pack) map[string]*ast.Module {
	return map[string]*ast.Module{"rules/lib/ct.rego": p.Modules["rules/lib/ct.rego"]}
}

// padded adds n bytes to the record's JSON.
func padded(r event.Record, n int) event.Record {
	r.Raw = []byte(strings.Replace(string(r.Raw), `"eventSource"`, `"padding":"`+strings.Repeat("x", n)+`","eventSource"`, 1))
	return r
}

// testDeadline is the engine deadline of the pipeline's tests: no healthy rule comes near it
// however busy the machine (the deadlines are tested with rules that never end).
const testDeadline = 10 * time.Minute

// fakeTuning suppresses every alert of rule, and stages every alert of staged.
type fakeTuning struct{ suppress, staged, disabled string }

func (f fakeTuning) Disabled(id string) bool { return id == f.disabled }

func (f fakeTuning) Tune(a *alert.Alert, _ []string) (tuning.Applied, bool) {
	if a.Rule.ID == f.staged {
		a.Tuning = &alert.Tuning{Staged: true}
	}
	if a.Rule.ID == f.suppress {
		return tuning.Applied{ID: "TUNE-9", Action: "suppress", AlertID: a.ID, RuleID: a.Rule.ID, SeverityBefore: a.Severity}, true
	}
	return tuning.Applied{}, false
}

type glassPolicy struct{}

func (glassPolicy) Apply(a *alert.Alert) (team.Suppressed, bool) {
	a.Context["break_glass"] = map[string]any{"actor_arn": "arn:aws:iam::111122223333:user/glass"}
	a.Severity = "CRITICAL"
	return team.Suppressed{}, false
}

func TestTuningExceptionsStagingAndBreakGlass(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	p := newTeamPipeline(t, sink, map[string]string{"pay": teamRule}, 0)
	rulesIn(p).tuning = fakeTuning{suppress: "TH-P-001"}
	var told []tuning.Applied
	p.OnException = func(_ event.Origin, ex tuning.Applied) { told = append(told, ex) }
	if r := p.Process(ctx, rec("bob", "Active", "e1")); r.Outcome != Suppressed || r.Reasons[0] != ReasonException || len(sink.alerts) != 0 {
		t.Fatalf("exception: %+v", r)
	}
	if len(told) != 1 || told[0].ID != "TUNE-9" || told[0].Alert == nil || told[0].Alert.ID != told[0].AlertID ||
		p.Counts.Exceptions()["TUNE-9"] != 1 || p.Counts.Suppressed(ReasonException) != 1 {
		t.Fatalf("told %+v, counts %s", told, p.Counts.Summary())
	}
	// Break-glass wins: an alert a team's break-glass principal raised is never tuned.
	rulesIn(p).policy = glassPolicy{}
	if r := p.Process(ctx, rec("bob", "Active", "e2")); r.Outcome != Alerted || r.Alerts[0].Severity != "CRITICAL" {
		t.Fatalf("break-glass alert: %+v", r)
	}
	rulesIn(p).policy = nil

	// A staged rule without a staging route: counted, not delivered; with one: delivered.
	rulesIn(p).tuning = fakeTuning{staged: "TH-P-001"}
	if r := p.Process(ctx, rec("bob", "Active", "e3")); r.Outcome != Suppressed || r.Reasons[0] != ReasonStaged {
		t.Fatalf("staged without route: %+v", r)
	}
	p.StagingRoute = true
	if r := p.Process(ctx, rec("bob", "Active", "e4")); r.Outcome != Alerted || r.Alerts[0].Tuning == nil || !r.Alerts[0].Tuning.Staged {
		t.Fatalf("staged with route: %+v", r)
	}
	if p.Counts.Staged() != 2 {
		t.Fatalf("staged count %d", p.Counts.Staged())
	}

	// A disabled rule is not evaluated; with EvaluateDisabled it is, and only counted.
	rulesIn(p).tuning = fakeTuning{disabled: "TH-P-001"}
	if r := p.Process(ctx, rec("bob", "Active", "e5")); r.Outcome != NoMatch {
		t.Fatalf("disabled: %+v", r)
	}
	p.EvaluateDisabled = true
	if r := p.Process(ctx, rec("bob", "Active", "e6")); r.Outcome != NoMatch || p.Counts.Disabled()["TH-P-001"] != 1 {
		t.Fatalf("disabled, evaluated: %+v %v", r, p.Counts.Disabled())
	}
}
