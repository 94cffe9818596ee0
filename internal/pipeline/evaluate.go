package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// This file is the evaluate stage: the selected rules over the record, enriched with the
// lookups they declare, in one call into the engine (engine.EvaluateRecord). It changes
// nothing but atomic counters and is safe for concurrent use when the Enricher is, so a
// replay evaluates records on several goroutines and still delivers them in input order
// (Deliver must see records one at a time, in input order, so windows decide as they do when
// the same records are processed one by one).

// Evaluated is a record that went through Evaluate, waiting for Deliver.
type Evaluated struct {
	rec      event.Record
	res      Result // the outcome so far, with the rule errors
	eval     engine.Evaluation
	ruleErrs []error
	warnings []error // reported by Deliver before the record's errors
}

// Quiet reports whether Deliver would only count the record as no_match: no finding to
// deliver, nothing to report. A replay counts such records without keeping them for Deliver.
func (ev *Evaluated) Quiet() bool {
	return ev.res.Outcome == NoMatch && len(ev.eval.Findings) == 0 && len(ev.res.Errs) == 0 && len(ev.warnings) == 0
}

// Evaluate selects the rules for rec and evaluates them over it, enriched with the lookups
// they declare. rec.Raw must stay valid until Deliver.
func (p *Pipeline) Evaluate(ctx context.Context, rec event.Record) *Evaluated {
	ev := &Evaluated{rec: rec}
	sel := p.selectRules(rec)
	if sel.warning != nil {
		ev.warnings = append(ev.warnings, sel.warning)
	}
	if sel.rules.Len() == 0 {
		if len(sel.unloaded) > 0 {
			ev.res = Result{Outcome: RuleError, Errs: originErrs(rec, sel.unloaded)}
		} else {
			ev.res = Result{Outcome: NoMatch}
		}
		return ev
	}
	eval, err := sel.rules.EvaluateRecord(ctx, rec.Raw, p.Enricher)
	if err != nil {
		ev.res = Result{Outcome: Malformed, Errs: []error{&event.DecodeError{Origin: rec.Origin, Err: err}}}
		return ev
	}
	ev.eval, ev.ruleErrs = eval, append(eval.Errs, sel.unloaded...)
	if eval.ActorErr != nil && !errors.Is(eval.ActorErr, engine.ErrNoLib) {
		// The alerts still go out, noting it; the record counts as rule_error so an
		// incomplete result (a deadline under load, a lib error) is never silent.
		ev.ruleErrs = append(ev.ruleErrs, eval.ActorErr)
	}
	ev.res = Result{Outcome: NoMatch}
	for _, err := range ev.ruleErrs {
		ev.res.Errs = append(ev.res.Errs, fmt.Errorf("%s: %w", rec.Origin, err))
	}
	return ev
}

func originErrs(rec event.Record, errs []error) []error {
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = fmt.Errorf("%s: %w", rec.Origin, err)
	}
	return out
}
