package pipeline

import (
	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// This file holds the pipeline's side of the org tuning file (RuleSet.Tuner; internal/tuning
// implements the interface): disabled rules are not evaluated, an exception lowers or suppresses an
// alert, and a staged rule's alerts go to the staging route only. Break-glass wins: an
// alert a team's break-glass principal raised is never lowered, suppressed or staged.

// Reasons a tuned record counts as suppressed.
const (
	// ReasonException: an exception of the tuning file suppressed the alert.
	ReasonException = "exception"
	// ReasonStaged: the rule is staged and there is no staging route to deliver to.
	ReasonStaged = "staged"
)

// untuned reports whether the tuning file must leave the alert alone: a team's break-glass
// principal raised it.
func untuned(a *alert.Alert) bool {
	return a.BrokeGlass()
}

// tune applies the tuning file to a built alert and reports whether it is kept from
// delivery (suppressed by an exception, or staged with no staging route), counting it.
func (p *Pipeline) tune(o event.Origin, a *alert.Alert, d *delivery) bool {
	t := p.Rules.Tuner()
	if t == nil || untuned(a) {
		return false
	}
	ex, suppressed := t.Tune(a, nil)
	if ex.ID != "" {
		ex.Alert = a
		p.Counts.exceptionBy(ex.ID)
		if p.OnException != nil {
			p.OnException(o, ex)
		}
	}
	switch {
	case suppressed:
		d.reasons = append(d.reasons, ReasonException)
		return true
	case a.Tuning != nil && a.Tuning.Staged:
		p.Counts.staged.Add(1)
		if !p.StagingRoute {
			d.reasons = append(d.reasons, ReasonStaged)
			return true
		}
	}
	return false
}

// retune applies the tuning file to a threshold alert, which is built afresh with its
// rule's severity and stands for the listed events (and, when truncated, more): the
// exception's target_user must match the target of each, so an unlisted event counts as an
// unknown user. Not counted again: its events were counted as they came.
func (p *Pipeline) retune(a *alert.Alert, listed []alert.ListedEvent, count int) {
	t := p.Rules.Tuner()
	if t == nil || untuned(a) {
		return
	}
	users := make([]string, 0, len(listed)+1)
	for _, le := range listed {
		users = append(users, le.Target["user_name"])
	}
	if count > len(listed) {
		users = append(users, "")
	}
	t.Tune(a, users)
}

// disabled reports whether a finding's rule is disabled (reached with EvaluateDisabled
// only); Settle counts it (Candidate.Disabled).
func (p *Pipeline) disabled(f engine.Finding) bool {
	t := p.Rules.Tuner()
	return t != nil && t.Disabled(f.Rule.ID)
}
