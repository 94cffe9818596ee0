package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// This file splits Process in two, so a replay can evaluate records on several goroutines and
// still deliver them in input order. Evaluate (selection, parsing, enrichment, the rules)
// changes nothing but atomic counters and is safe for concurrent use when the Enricher is.
// Deliver (alerts, idempotency, dedup and threshold windows, team policy, the sink, outcome
// counts, OnError) must see records one at a time, in input order, so windows decide as they
// do when the same records are processed one by one.

// Evaluated is a record that went through Evaluate, waiting for Deliver.
type Evaluated struct {
	rec        event.Record
	res        Result // the outcome so far, with the rule errors
	input      ast.Value
	findings   []engine.Finding
	ruleErrs   []error
	enrichment ast.Value
	notes      []string
	actor      map[string]any // the caller, resolved when there are findings
	actorErr   error
	warnings   []error // reported by Deliver before the record's errors
}

// Quiet reports whether Deliver would only count the record as no_match: no finding to
// deliver, nothing to report. A replay counts such records without keeping them for Deliver.
func (ev *Evaluated) Quiet() bool {
	return ev.res.Outcome == NoMatch && len(ev.findings) == 0 && len(ev.res.Errs) == 0 && len(ev.warnings) == 0
}

// Evaluate selects the rules for rec, parses it, enriches it with the lookups they declare
// and evaluates them. rec.Raw must stay valid until Deliver.
func (p *Pipeline) Evaluate(ctx context.Context, rec event.Record) *Evaluated {
	ev := &Evaluated{rec: rec}
	selected, warning := p.limitTeams(rec, p.enabled(p.Engine.Select(rec.EventSource, rec.EventName)))
	if warning != nil {
		ev.warnings = append(ev.warnings, warning)
	}
	unloaded := p.unloaded(rec)
	if len(selected) == 0 {
		if len(unloaded) > 0 {
			ev.res = Result{Outcome: RuleError, Errs: originErrs(rec, unloaded)}
		} else {
			ev.res = Result{Outcome: NoMatch}
		}
		return ev
	}
	input, err := engine.Input(rec.Raw)
	if err != nil {
		ev.res = Result{Outcome: Malformed, Errs: []error{&event.DecodeError{Origin: rec.Origin, Err: err}}}
		return ev
	}
	if p.Enricher != nil {
		if lookups := declaredLookups(selected); len(lookups) > 0 {
			ev.enrichment, ev.notes = p.Enricher.Enrich(ctx, lookups, input)
			if ev.enrichment != nil {
				input = engine.WithEnrichment(input, ev.enrichment)
			}
		}
	}
	findings, ruleErrs := p.evaluate(ctx, selected, input)
	ev.input, ev.findings, ev.ruleErrs = input, findings, append(ruleErrs, unloaded...)
	if len(findings) > 0 {
		// Resolved here rather than in Deliver: a replay evaluates on several goroutines and
		// delivers on one, so work done here runs in parallel. The built-in pack's joint
		// evaluation usually resolved it already, with the identity facts its rules derived.
		ev.actor = jointActor(findings)
		if ev.actor == nil {
			ev.actor, ev.actorErr = p.Engine.Actor(ctx, input)
		}
		if ev.actorErr != nil && !errors.Is(ev.actorErr, engine.ErrNoLib) {
			// The alerts still go out, noting it; the record counts as rule_error so an
			// incomplete result (a deadline under load, a lib error) is never silent.
			ev.ruleErrs = append(ev.ruleErrs, ev.actorErr)
		}
	}
	ev.res = Result{Outcome: NoMatch}
	for _, err := range ev.ruleErrs {
		ev.res.Errs = append(ev.res.Errs, fmt.Errorf("%s: %w", rec.Origin, err))
	}
	return ev
}

// Deliver finishes an evaluated record: it builds and delivers its alerts, counts its outcome
// and reports its errors. It is Settle(Prepare(ev)).
func (p *Pipeline) Deliver(ctx context.Context, ev *Evaluated) Result {
	return p.Settle(ctx, p.Prepare(ev))
}

// Wants reports whether Evaluate would do more than count a record with this header as
// no_match: a rule selects its event, or a pack that is not loaded declared it. Replays ask
// before copying or parsing anything.
func (p *Pipeline) Wants(h *event.Header) bool {
	if len(p.Engine.Select(h.EventSource, h.EventName)) > 0 {
		return true
	}
	return p.Unloaded != nil && len(p.Unloaded.Unavailable(h.EventSource, h.EventName)) > 0
}

// jointActor returns the caller the engine resolved along with the findings, if it did.
func jointActor(findings []engine.Finding) map[string]any {
	for _, f := range findings {
		if f.Actor != nil {
			return f.Actor
		}
	}
	return nil
}
