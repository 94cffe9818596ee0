package pipeline

import (
	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

// RuleSet is the rule set a pipeline runs, immutable while it runs (internal/ruleset
// implements it): the compiled rules and what a record selects of them, the packs that are
// not loaded, the teams' policy and the org tuning file.
type RuleSet interface {
	// Select returns the rules a record with this event and size (in bytes) selects. When it
	// leaves rules out for the record's size (team rules over the set's input limit),
	// oversize says so: the pipeline counts the record (Counts.Oversize) and reports it.
	Select(eventSource, eventName string, size int) (sel engine.Selection, oversize error)
	// Unavailable returns a rule error for each pack that is not loaded whose rules declared
	// this event. Such an event ends as rule_error, naming the pack, even when the other
	// rules handled it.
	Unavailable(eventSource, eventName string) []error
	// Rules returns every loaded rule: the rule of a decoded candidate alert is looked up in
	// it by id.
	Rules() []*rule.Rule
	// Apply applies team policy to a built alert before delivery: it may raise the alert's
	// severity (break-glass principals) and may suppress it. A suppressed alert is not
	// delivered; it is counted (outcome suppressed, reason "suppression", and per
	// suppression id) and OnSuppress is told, so it is never silently lost.
	Apply(a *alert.Alert) (team.Suppressed, bool)
	// Tuner is the org tuning file as the pipeline applies it; nil without one.
	Tuner() tuning.Tuner
}

// ReasonSuppression: a team suppression matched the alert; nothing was delivered for it.
const ReasonSuppression = "suppression"

// suppressed counts an alert the team policy suppressed (Prepare asked it) and tells
// OnSuppress, handing it the suppressed alert.
func (p *Pipeline) suppressed(o event.Origin, s team.Suppressed, a *alert.Alert, d *delivery) {
	s.Alert = a
	d.reasons = append(d.reasons, ReasonSuppression)
	p.Counts.suppressedBy(s.ID)
	if p.OnSuppress != nil {
		p.OnSuppress(o, s)
	}
}

// ruleOf is the rule that raised a candidate alert: the one Prepare saw, or for a decoded
// candidate the loaded rule with its id (nil if none is loaded).
func (p *Pipeline) ruleOf(ca *CandidateAlert) *rule.Rule {
	if ca.rule != nil {
		return ca.rule
	}
	for _, r := range p.Rules.Rules() {
		if r.ID == ca.Alert.Rule.ID {
			return r
		}
	}
	return nil
}
