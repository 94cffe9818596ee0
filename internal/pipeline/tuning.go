package pipeline

import (
	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// This file holds the pipeline's side of the org tuning file (internal/tuning implements
// the interface): disabled rules are not evaluated, an exception lowers or suppresses an
// alert, and a staged rule's alerts go to the staging route only. Break-glass wins: an
// alert a team's break-glass principal raised is never lowered, suppressed or staged.

// Reasons a tuned record counts as suppressed.
const (
	// ReasonException: an exception of the tuning file suppressed the alert.
	ReasonException = "exception"
	// ReasonStaged: the rule is staged and there is no staging route to deliver to.
	ReasonStaged = "staged"
)

// Tuning is the org tuning file as the pipeline applies it.
type Tuning interface {
	// Disabled reports whether the rule is turned off.
	Disabled(ruleID string) bool
	// Tune applies exceptions and staging to a built alert. It may lower a.Severity
	// (recording the exception in a.Tuning and a.SeverityReasons) and mark a staged; when
	// an exception suppresses the alert it returns that exception and true. ex.ID is ""
	// when no exception changed the alert. targetUsers, when not nil, are the IAM users a
	// threshold alert stands for (an exception's target_user must match each); otherwise
	// the alert's target.user_name is used.
	Tune(a *alert.Alert, targetUsers []string) (ex Exception, suppressed bool)
}

// Exception names the tuning exception that changed an alert.
type Exception struct {
	ID             string
	Action         string // "set_severity" or "suppress"
	Owner          string
	Reason         string
	Expires        string // YYYY-MM-DD
	AlertID        string
	RuleID         string
	SeverityBefore string
	SeverityAfter  string // "" when suppressed
	// Alert is the alert the exception changed or suppressed, for a sink to take back what
	// it delivered before (sink.Archiver archives its Security Hub finding).
	Alert *alert.Alert
}

// untuned reports whether the tuning file must leave the alert alone: a team's break-glass
// principal raised it.
func untuned(a *alert.Alert) bool {
	return a.BrokeGlass()
}

// tune applies the tuning file to a built alert and reports whether it is kept from
// delivery (suppressed by an exception, or staged with no staging route), counting it.
func (p *Pipeline) tune(o event.Origin, a *alert.Alert, d *delivery) bool {
	if p.Tuning == nil || untuned(a) {
		return false
	}
	ex, suppressed := p.Tuning.Tune(a, nil)
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
	if p.Tuning == nil || untuned(a) {
		return
	}
	users := make([]string, 0, len(listed)+1)
	for _, le := range listed {
		users = append(users, le.Target["user_name"])
	}
	if count > len(listed) {
		users = append(users, "")
	}
	p.Tuning.Tune(a, users)
}

// enabled leaves out disabled rules, unless EvaluateDisabled keeps them to count what they
// would have raised.
func (p *Pipeline) enabled(selected []*engine.Compiled) []*engine.Compiled {
	if p.Tuning == nil || p.EvaluateDisabled {
		return selected
	}
	n := 0
	for _, c := range selected {
		if p.Tuning.Disabled(c.Rule.ID) {
			n++
		}
	}
	if n == 0 {
		return selected
	}
	kept := make([]*engine.Compiled, 0, len(selected)-n)
	for _, c := range selected {
		if !p.Tuning.Disabled(c.Rule.ID) {
			kept = append(kept, c)
		}
	}
	return kept
}

// disabled reports whether a finding's rule is disabled (reached with EvaluateDisabled
// only); Settle counts it (Candidate.Disabled).
func (p *Pipeline) disabled(f engine.Finding) bool {
	return p.Tuning != nil && p.Tuning.Disabled(f.Rule.ID)
}
