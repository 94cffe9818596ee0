package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// This file holds the pipeline's side of team rule packs (internal/ruleset implements the
// interfaces): team policy before delivery, rule errors for packs that are not loaded, the
// input size cap and the per-pack evaluation deadline.

// BuiltinTeam is the Team of the built-in pack's rules; every other team is a team pack.
const BuiltinTeam = "builtin"

// ReasonSuppression: a team suppression matched the alert; nothing was delivered for it.
const ReasonSuppression = "suppression"

// Policy applies team policy to each built alert before delivery: it may raise the alert's
// severity (break-glass principals) and may suppress it. A suppressed alert is not
// delivered; it is counted (outcome suppressed, reason "suppression", and per suppression
// id) and OnSuppress is told, so it is never silently lost.
type Policy interface {
	Apply(a *alert.Alert) (Suppression, bool)
}

// Suppression names the team suppression that kept an alert from delivery.
type Suppression struct {
	ID      string // e.g. PAYMENTS-S-001
	Team    string
	Owner   string
	Reason  string
	Expires string // YYYY-MM-DD
	AlertID string
	RuleID  string
	// Alert is the suppressed alert, for a sink to take back what it delivered before the
	// suppression applied (sink.Archiver archives its Security Hub finding).
	Alert *alert.Alert `json:"-"`
}

// Unloaded names rule packs that are not loaded, by the events their rules declared. Such
// an event ends as rule_error, naming the pack, even when the other rules handled it.
type Unloaded interface {
	Unavailable(eventSource, eventName string) []error
}

// suppressed counts an alert the policy suppressed (Prepare asked it) and tells OnSuppress,
// handing it the suppressed alert.
func (p *Pipeline) suppressed(o event.Origin, s Suppression, a *alert.Alert, d *delivery) {
	s.Alert = a
	d.reasons = append(d.reasons, ReasonSuppression)
	p.Counts.suppressedBy(s.ID)
	if p.OnSuppress != nil {
		p.OnSuppress(o, s)
	}
}

// limitTeams leaves out team rules for records over TeamInputLimit bytes, counting the record
// and returning the warning to report.
func (p *Pipeline) limitTeams(rec event.Record, selected []*engine.Compiled) ([]*engine.Compiled, error) {
	if p.TeamInputLimit <= 0 || len(rec.Raw) <= p.TeamInputLimit {
		return selected, nil
	}
	kept := make([]*engine.Compiled, 0, len(selected))
	for _, c := range selected {
		if c.Rule.Team == BuiltinTeam {
			kept = append(kept, c)
		}
	}
	if n := len(selected) - len(kept); n > 0 {
		p.Counts.oversize.Add(1)
		return kept, fmt.Errorf("%s: record of %d bytes is over the %d-byte limit for team rules: %d team rule(s) not evaluated", rec.Origin, len(rec.Raw), p.TeamInputLimit, n)
	}
	return kept, nil
}

// unloaded returns the rule errors of packs that are not loaded for this record's event.
func (p *Pipeline) unloaded(rec event.Record) []error {
	if p.Unloaded == nil {
		return nil
	}
	return p.Unloaded.Unavailable(rec.EventSource, rec.EventName)
}

// evaluate runs the selected rules. With a PackDeadline, each team's rules share one
// deadline per event (on top of the engine's per-rule deadline), so a slow pack cannot hold
// an event longer than that; the built-in rules run as before.
func (p *Pipeline) evaluate(ctx context.Context, selected []*engine.Compiled, input ast.Value) ([]engine.Finding, []error) {
	if p.PackDeadline <= 0 {
		return p.Engine.Evaluate(ctx, selected, input)
	}
	var findings []engine.Finding
	var errs []error
	for start := 0; start < len(selected); {
		team := selected[start].Rule.Team
		end := start + 1
		for end < len(selected) && selected[end].Rule.Team == team {
			end++
		}
		group := selected[start:end]
		start = end
		if team == BuiltinTeam {
			fs, es := p.Engine.Evaluate(ctx, group, input)
			findings, errs = append(findings, fs...), append(errs, es...)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, p.PackDeadline)
		fs, es := p.Engine.Evaluate(pctx, group, input)
		if pctx.Err() != nil && ctx.Err() == nil {
			for i, err := range es {
				es[i] = fmt.Errorf("team %s's pack used up its %v per event: %w", team, p.PackDeadline, err)
			}
		}
		cancel()
		findings, errs = append(findings, fs...), append(errs, es...)
	}
	return findings, errs
}

// DefaultPackDeadline bounds the time one team pack's rules may take together on one event.
const DefaultPackDeadline = 500 * time.Millisecond

func originErrs(rec event.Record, errs []error) []error {
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = fmt.Errorf("%s: %w", rec.Origin, err)
	}
	return out
}
