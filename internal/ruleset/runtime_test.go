package ruleset

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/team"
)

type sentTo struct {
	mu     sync.Mutex
	alerts []*alert.Alert
}

func (s *sentTo) Send(_ context.Context, as []*alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts = append(s.alerts, as...)
	return nil
}

func builtinEngine(t *testing.T, b *rule.Pack) *engine.Engine {
	t.Helper()
	eng, errs := engine.New(context.Background(), []*rule.Pack{b}, engine.Options{Lib: b.Lib()})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return eng
}

// TestRuntimeHealthAndRouting: the runtime owes one health alert per broken pack of the set it
// activates, handed over once and delivered through the pipeline (claimed and counted); with
// an opener, alerts are routed over the teams' routes, without one (the CLI) every alert goes
// to the default sender, staged ones included.
func TestRuntimeHealthAndRouting(t *testing.T) {
	ctx := context.Background()
	b, _ := builtin(t)
	eng := builtinEngine(t, b)
	def := &sentTo{}
	rt, err := NewRuntime(ctx, RuntimeOptions{Builtin: b, BuiltinEngine: eng, Teams: []team.Source{payments(t), ledger(broken)}, Default: def})
	if err != nil {
		t.Fatal(err)
	}
	act := rt.Init(ctx)
	if act.Sink != delivery.Sender(def) || !act.StagingRoute || act.Set.Teams["payments"] == nil {
		t.Fatalf("CLI runtime: sink %T, staging %v, teams %v", act.Sink, act.StagingRoute, act.Set.TeamNames())
	}
	if len(act.Health) != 1 || act.Health[0].Rule.ID != HealthRuleID || act.Health[0].Rule.Team != "ledger" {
		t.Fatalf("health alerts %+v", act.Health)
	}
	if again := rt.Current(ctx); len(again.Health) != 0 || again.Set != act.Set {
		t.Fatalf("health alerts handed over twice: %+v", again.Health)
	}
	p := &pipeline.Pipeline{Rules: act.Set, Sink: act.Sink, Idempotency: state.NewMemory()}
	for range 2 { // a second process of the same fleet raises nothing again
		if err := p.DeliverHealth(ctx, act.Health); err != nil {
			t.Fatal(err)
		}
	}
	if len(def.alerts) != 1 || p.Counts.Health() != 1 {
		t.Fatalf("delivered %d health alerts, counted %d", len(def.alerts), p.Counts.Health())
	}

	// With an opener, the payments team's alerts go to its routes only; built-in ones to the
	// default route (and to the teams subscribed to them).
	opened := map[string]*sentTo{}
	open := func(name string, _ team.Routes) (delivery.Sender, error) {
		opened[name] = &sentTo{}
		return opened[name], nil
	}
	def2 := &sentTo{}
	rt, err = NewRuntime(ctx, RuntimeOptions{Builtin: b, BuiltinEngine: eng, Teams: []team.Source{payments(t)}, Default: def2, Open: open})
	if err != nil {
		t.Fatal(err)
	}
	act = rt.Init(ctx)
	if act.StagingRoute || len(act.Health) != 0 || opened["payments"] == nil {
		t.Fatalf("routed runtime: staging %v, health %d, opened %v", act.StagingRoute, len(act.Health), opened)
	}
	teamAlert := &alert.Alert{ID: "t1", Severity: "HIGH", Rule: alert.Rule{ID: "PAYMENTS-001", Team: "payments"}}
	builtinAlert := &alert.Alert{ID: "b1", Severity: "HIGH", Rule: alert.Rule{ID: "TH-IAM-001", Team: BuiltinTeam}}
	if err := act.Sink.Send(ctx, []*alert.Alert{teamAlert, builtinAlert}); err != nil {
		t.Fatal(err)
	}
	var toTeam []string
	for _, a := range opened["payments"].alerts {
		toTeam = append(toTeam, a.ID)
	}
	if !slices.Contains(toTeam, "t1") || len(def2.alerts) != 1 || def2.alerts[0].ID != "b1" {
		t.Fatalf("team route got %v, default %d alerts", toTeam, len(def2.alerts))
	}
}
