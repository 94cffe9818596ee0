package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/team"
)

// This file is the prepare stage, the stateless first half of Deliver, so it can run apart
// from the stateful half (Settle, settle.go), on another machine and at another time (a
// backtest's map and reduce phases, internal/backtest). Prepare builds the record's alerts
// and asks the team policy about each: it changes nothing and is safe for concurrent use. A
// Candidate encodes to JSON and back without loss, so Settle of a decoded candidate does
// what Settle of the original does.

// Candidate is an evaluated record's outcome so far and the alerts its findings built,
// before any state was applied.
type Candidate struct {
	Origin    event.Origin `json:"origin"`
	EventTime string       `json:"event_time,omitempty"`
	// Outcome so far: no_match, malformed (the record did not parse) or rule_error (a pack
	// is not loaded, or an alert did not build).
	Outcome Outcome `json:"outcome"`
	// RuleError: a rule errored while the others found something; the record ends as
	// rule_error unless its delivery fails.
	RuleError bool             `json:"rule_error,omitempty"`
	Alerts    []CandidateAlert `json:"alerts,omitempty"`
	// Disabled lists the disabled rules whose findings were left out (EvaluateDisabled), and
	// Capped counts the findings over engine.MaxFindings; Settle counts both.
	Disabled []string `json:"disabled,omitempty"`
	Capped   int      `json:"capped,omitempty"`
	// Warnings and Errs are reported by Settle, warnings first, then errors.
	Warnings []error `json:"-"`
	Errs     []error `json:"-"`
}

// CandidateAlert is one built alert, and the team suppression that matched it, if any.
type CandidateAlert struct {
	Alert      *alert.Alert     `json:"alert"`
	Suppressed *team.Suppressed `json:"suppressed,omitempty"`
	rule       *rule.Rule       // the rule that raised it; looked up by id when decoded
}

// Prepare builds ev's alerts and applies the team policy's decision to each (escalation,
// suppression), without counting or delivering anything.
func (p *Pipeline) Prepare(ev *Evaluated) *Candidate {
	c := &Candidate{Origin: ev.rec.Origin, EventTime: ev.rec.EventTime, Outcome: ev.res.Outcome, RuleError: len(ev.ruleErrs) > 0}
	c.Warnings = append(c.Warnings, ev.warnings...)
	c.Errs = append(c.Errs, ev.res.Errs...)
	if len(ev.eval.Findings) == 0 {
		return c
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	enrichment := ev.eval.Enrichment.Doc()
	// Event time is a claim: one ahead of the trusted clock is flagged in its alerts (Settle
	// keeps it from moving any window).
	clock, clockName := p.trustedClock(ev.rec.Origin, now)
	var ahead time.Duration
	if evTime, err := event.ParseTime(ev.rec.EventTime); err == nil {
		ahead = state.Ahead(evTime, clock)
	}
	fields := engine.ReadRecordFields(ev.eval.Input) // what the alerts copy from the record
	for _, f := range ev.eval.Findings {
		if p.disabled(f) {
			c.Disabled = append(c.Disabled, f.Rule.ID)
			continue
		}
		if f.Excess > 0 && f.Index == 0 {
			c.Capped += f.Excess
			c.Warnings = append(c.Warnings, fmt.Errorf("%s: rule %s raised %d findings for one event: the first %d became alerts, %d were left out (engine.MaxFindings)",
				ev.rec.Origin, f.Rule.ID, f.Of, engine.MaxFindings, f.Excess))
		}
		a, err := alert.Build(alert.Input{Finding: f, Record: ev.rec, Fields: fields, Actor: ev.eval.Actor, ActorErr: ev.eval.ActorErr, Context: findingContext(f, enrichment, ev.eval.Notes), Now: now()})
		if err != nil {
			c.Errs = append(c.Errs, fmt.Errorf("%s: rule %s: %w", ev.rec.Origin, f.Rule.ID, err))
			c.Outcome = RuleError
			continue
		}
		if ahead > 0 {
			a.FlagEventTimeAhead(ev.rec.EventTime, clock, clockName, ahead)
		}
		ca := CandidateAlert{Alert: &a, rule: f.Rule}
		if s, ok := p.Rules.Apply(&a); ok {
			suppressed := s // allocated only for a suppressed alert
			ca.Suppressed = &suppressed
		}
		c.Alerts = append(c.Alerts, ca)
	}
	return c
}

// MalformedCandidate is an input that could not be decoded: Settle counts and reports it as
// Malformed does.
func MalformedCandidate(err error) *Candidate {
	var de *event.DecodeError
	c := &Candidate{Outcome: Malformed, Errs: []error{err}}
	if errors.As(err, &de) {
		c.Origin = de.Origin
	}
	return c
}

// candidateJSON is a Candidate's encoding: errors as their messages.
type candidateJSON struct {
	Origin    event.Origin     `json:"origin"`
	EventTime string           `json:"event_time,omitempty"`
	Outcome   string           `json:"outcome"`
	RuleError bool             `json:"rule_error,omitempty"`
	Alerts    []CandidateAlert `json:"alerts,omitempty"`
	Disabled  []string         `json:"disabled,omitempty"`
	Capped    int              `json:"capped,omitempty"`
	Warnings  []string         `json:"warnings,omitempty"`
	Errs      []string         `json:"errors,omitempty"`
}

// MarshalJSON encodes the candidate, its warnings and errors as their messages.
func (c *Candidate) MarshalJSON() ([]byte, error) {
	return json.Marshal(candidateJSON{Origin: c.Origin, EventTime: c.EventTime, Outcome: c.Outcome.String(), RuleError: c.RuleError,
		Alerts: c.Alerts, Disabled: c.Disabled, Capped: c.Capped, Warnings: messages(c.Warnings), Errs: messages(c.Errs)})
}

// UnmarshalJSON decodes a candidate. Its outcome must be one a candidate can have, and every
// alert must be present.
func (c *Candidate) UnmarshalJSON(b []byte) error {
	var j candidateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	o, ok := outcomeNamed(j.Outcome)
	if !ok || (o != NoMatch && o != Malformed && o != RuleError) {
		return fmt.Errorf("candidate outcome %q: want no_match, malformed or rule_error", j.Outcome)
	}
	for i, a := range j.Alerts {
		if a.Alert == nil {
			return fmt.Errorf("candidate alert %d: no alert", i)
		}
	}
	*c = Candidate{Origin: j.Origin, EventTime: j.EventTime, Outcome: o, RuleError: j.RuleError, Alerts: j.Alerts,
		Disabled: j.Disabled, Capped: j.Capped, Warnings: errorsOf(j.Warnings), Errs: errorsOf(j.Errs)}
	return nil
}

func outcomeNamed(s string) (Outcome, bool) {
	for i, n := range outcomeNames {
		if n == s {
			return Outcome(i), true
		}
	}
	return 0, false
}

func messages(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, err.Error())
	}
	return out
}

func errorsOf(msgs []string) []error {
	var out []error
	for _, m := range msgs {
		out = append(out, errors.New(m))
	}
	return out
}
