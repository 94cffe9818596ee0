package ruleset

import (
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/tuning"
)

// This file is the Set as the pipeline runs it (pipeline.RuleSet): what a record selects,
// the rules, and the tuning file as the pipeline applies it. Unavailable (ruleset.go) and
// Apply (policy.go) complete it.

// Select returns the rules that evaluate a record of this event and size (in bytes): the
// rules that declare the event, without the team rules when the record is over InputLimit.
// oversize then names how many team rules it left out.
func (s *Set) Select(eventSource, eventName string, size int) (sel engine.Selection, oversize error) {
	sel = s.Engine.Select(eventSource, eventName)
	if s.InputLimit <= 0 || size <= s.InputLimit {
		return sel, nil
	}
	kept := sel.Without(func(r *rule.Rule) bool { return r.Team != BuiltinTeam })
	if n := sel.Len() - kept.Len(); n > 0 {
		return kept, fmt.Errorf("record of %d bytes is over the %d-byte limit for team rules: %d team rule(s) not evaluated", size, s.InputLimit, n)
	}
	return sel, nil
}

// Rules returns every loaded rule, sorted by id.
func (s *Set) Rules() []*rule.Rule { return s.Engine.Rules() }

// Tuner is the tuning file's policy as the pipeline applies it (tuning.Applier, on the set's
// clock); nil when the set has no tuning file.
func (s *Set) Tuner() tuning.Tuner {
	if s.Tuning == nil {
		return nil
	}
	s.tunerOnce.Do(func() { s.tuner = &tuning.Applier{Policy: s.Tuning, Now: s.now} })
	return s.tuner
}

// HasStagingRoutes reports whether the set's tuning file names staging routes, where the
// alerts of staged rules go.
func (s *Set) HasStagingRoutes() bool {
	return s.Tuning != nil && !s.Tuning.File.StagingRoutes.Empty()
}
