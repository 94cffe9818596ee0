// Package ruleset is the one runtime of rule packs: it assembles the rules a detector runs,
// the built-in pack plus team packs from directories or a signed bundle, each compiled on its
// own (internal/engine), so that a team pack that fails to load or compile is reported
// (Broken: an error naming the pack, rule errors for the events its rules declared, a health
// alert) while every other pack keeps working; on a reload (runtime.go, internal/reload), a
// team whose new pack is broken keeps its previous pack. A Set is what the pipeline runs
// (pipeline.RuleSet): what a record selects, the teams' policy (suppressions, break-glass)
// and the org tuning file's (internal/tuning). The Runtime keeps the active Set of a process,
// routes its alerts over the teams' routes (internal/route) and hands over the health alerts
// it owes, which the pipeline delivers.
package ruleset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

// Candidate is one team pack offered to Build: validated (Pack) or not (Err).
type Candidate struct {
	Source team.Source
	Pack   *team.Pack
	Err    error
}

// Load validates each source (team.Load; now decides which suppressions have expired).
func Load(sources []team.Source, now time.Time) []Candidate {
	out := make([]Candidate, len(sources))
	for i, src := range sources {
		p, err := team.Load(src, now)
		out[i] = Candidate{Source: src, Pack: p, Err: err}
	}
	return out
}

// Options configure Build.
type Options struct {
	// Lib holds the shared helper modules compiled into every pack.
	Lib map[string]*ast.Module
	// Deadline bounds one rule's evaluation of one event (engine.Options.Deadline).
	Deadline time.Duration
	// Previous is the set being replaced, whose team packs stand in for broken new ones.
	// Packs it compiled (the built-in pack, the team packs kept) are not compiled again.
	Previous *Set
	// Reuse is an engine whose compiled packs are taken as they are (engine.Options.Reuse),
	// for instance the built-in pack's engine; Previous's engine when nil.
	Reuse *engine.Engine
	// Revision names where the candidates came from (a bundle's revision and ETag), for
	// logs and health alerts.
	Revision string
	// Now is the clock suppressions and tuning exceptions expire on; time.Now when nil.
	Now func() time.Time
	// PackDeadline bounds the time one team pack's rules take together on one event;
	// DefaultPackDeadline when zero.
	PackDeadline time.Duration
	// InputLimit is the record size in bytes above which team rules are not evaluated;
	// DefaultInputLimit when zero.
	InputLimit int
}

// Set is a compiled, ready rule set. It is immutable and safe for concurrent use.
type Set struct {
	Engine *engine.Engine
	// Teams are the active team packs by team (a broken team may be active with its
	// previous pack).
	Teams map[string]*team.Pack
	// Broken are the team packs offered to Build that are not active as offered.
	Broken   []*Broken
	Revision string
	// Tuning is the org tuning file's policy, validated against these rules (KnownRules);
	// nil when there is none. Set it before the Set is used.
	Tuning *tuning.Policy
	// InputLimit is the record size in bytes above which team rules are not evaluated (see
	// Select).
	InputLimit int

	byEvent   map[rule.EventRef][]*Broken
	now       func() time.Time
	tunerOnce sync.Once
	tuner     *tuning.Applier
}

// Broken is a team pack that failed to load or compile.
type Broken struct {
	Team   string
	Origin string
	Err    error
	// Events are the events the pack's rules declared, when its rules could be read.
	Events []rule.EventRef
	// Kept names the previous pack of the team still active in its place; "" when the
	// team's rules are not evaluated at all.
	Kept string
}

func (b *Broken) Error() string {
	msg := fmt.Sprintf("team %s: rule pack %s is not loaded: %v", b.Team, b.Origin, b.Err)
	if b.Kept != "" {
		msg += fmt.Sprintf(" (the previous pack from %s stays active)", b.Kept)
	}
	return msg
}

// Build compiles the built-in pack and the candidates' packs, each on its own. Broken team
// packs are listed in Set.Broken; a team that had a pack in opts.Previous keeps it. Build
// fails only when the built-in pack or the lib does not compile, which is a build defect.
func Build(ctx context.Context, builtin *rule.Pack, cands []Candidate, opts Options) (*Set, error) {
	s := &Set{Teams: map[string]*team.Pack{}, Revision: opts.Revision, byEvent: map[rule.EventRef][]*Broken{}, now: opts.Now, InputLimit: opts.InputLimit}
	if s.now == nil {
		s.now = time.Now
	}
	if s.InputLimit <= 0 {
		s.InputLimit = DefaultInputLimit
	}
	brokenBy := map[string]*Broken{}
	origins := map[string]string{}
	for _, c := range cands {
		if prev, dup := origins[c.Source.Team]; dup {
			s.Broken = append(s.Broken, &Broken{Team: c.Source.Team, Origin: c.Source.Origin,
				Err: fmt.Errorf("team %s already has a pack, from %s: left out", c.Source.Team, prev)})
			continue
		}
		origins[c.Source.Team] = c.Source.Origin
		if c.Err != nil {
			b := &Broken{Team: c.Source.Team, Origin: c.Source.Origin, Err: c.Err}
			if c.Source.FS != nil {
				// The team file may be what is wrong (or missing): the rules' declared events
				// still say which events the team's rules miss (rule_error for them).
				if rp, err := rule.Load(c.Source.Origin, c.Source.Team, c.Source.Origin, c.Source.FS); err == nil {
					b.Events = events(rp)
				}
			}
			s.Broken = append(s.Broken, b)
			brokenBy[b.Team] = b
			continue
		}
		s.Teams[c.Pack.Team] = c.Pack
	}
	reuse := opts.Reuse
	if reuse == nil && opts.Previous != nil {
		reuse = opts.Previous.Engine
	}
	eng, err := s.compile(ctx, builtin, opts, reuse, brokenBy)
	if err != nil {
		return nil, err
	}
	fallback := false
	if opts.Previous != nil {
		for _, b := range s.Broken {
			if prev := opts.Previous.Teams[b.Team]; prev != nil && s.Teams[b.Team] == nil {
				s.Teams[b.Team] = prev
				b.Kept = prev.Origin
				if opts.Previous.Revision != "" {
					b.Kept += " (" + opts.Previous.Revision + ")"
				}
				fallback = true
			}
		}
	}
	if fallback {
		if eng, err = s.compile(ctx, builtin, opts, eng, brokenBy); err != nil {
			return nil, err
		}
	}
	s.Engine = eng
	for _, b := range s.Broken {
		if b.Kept != "" {
			continue
		}
		for _, ev := range b.Events {
			s.byEvent[ev] = append(s.byEvent[ev], b)
		}
	}
	sort.Slice(s.Broken, func(i, j int) bool { return s.Broken[i].Team < s.Broken[j].Team })
	return s, nil
}

// FromEngine is the set of an engine compiled from the built-in pack alone: no team packs.
// It saves compiling the built-in pack twice when there are no team packs to add.
func FromEngine(eng *engine.Engine) *Set {
	return &Set{Engine: eng, Teams: map[string]*team.Pack{}, byEvent: map[rule.EventRef][]*Broken{}, now: time.Now, InputLimit: DefaultInputLimit}
}

// compile builds an engine from the built-in pack and the active team packs, moving team
// packs that fail to compile from Teams to Broken.
func (s *Set) compile(ctx context.Context, builtin *rule.Pack, opts Options, reuse *engine.Engine, brokenBy map[string]*Broken) (*engine.Engine, error) {
	packs := []*rule.Pack{builtin}
	teams := make([]string, 0, len(s.Teams))
	for t := range s.Teams {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for _, t := range teams {
		packs = append(packs, s.Teams[t].Rules)
	}
	packDeadline := opts.PackDeadline
	if packDeadline <= 0 {
		packDeadline = DefaultPackDeadline
	}
	eng, errs := engine.New(ctx, packs, engine.Options{Lib: opts.Lib, Deadline: opts.Deadline, Reuse: reuse, PackDeadline: packDeadline, TrustedTeam: BuiltinTeam})
	for _, err := range errs {
		var pe *engine.PackError
		if !errors.As(err, &pe) || pe.Team == builtin.Team || pe.Pack == "lib" {
			return nil, fmt.Errorf("compile built-in rules: %w", err)
		}
		p := s.Teams[pe.Team]
		if p == nil {
			return nil, fmt.Errorf("compile rules: %w", err)
		}
		delete(s.Teams, pe.Team)
		if b := brokenBy[pe.Team]; b != nil { // its previous pack failed too
			b.Kept = ""
			continue
		}
		b := &Broken{Team: pe.Team, Origin: p.Origin, Err: pe.Err, Events: events(p.Rules)}
		s.Broken = append(s.Broken, b)
		brokenBy[pe.Team] = b
	}
	return eng, nil
}

func events(p *rule.Pack) []rule.EventRef {
	seen := map[rule.EventRef]bool{}
	var out []rule.EventRef
	for _, r := range p.Rules {
		for _, ev := range r.Events {
			if !seen[ev] {
				seen[ev] = true
				out = append(out, ev)
			}
		}
	}
	return out
}

// Unavailable returns a rule error for each broken team pack, not replaced by a previous
// one, whose rules declared this event: the event was not evaluated by that team's rules
// (pipeline.RuleSet).
func (s *Set) Unavailable(eventSource, eventName string) []error {
	bs := s.byEvent[rule.EventRef{Source: eventSource, Name: eventName}]
	if len(bs) == 0 {
		return nil
	}
	out := make([]error, len(bs))
	for i, b := range bs {
		out[i] = &NotLoadedError{Broken: b}
	}
	return out
}

// KnownRules maps the id of every rule in the set to its severity, for validating a
// tuning file against it (tuning.Validate).
func (s *Set) KnownRules() map[string]rule.Severity {
	out := map[string]rule.Severity{}
	for _, r := range s.Engine.Rules() {
		out[r.ID] = r.Severity
	}
	return out
}

// TeamNames lists the active teams, sorted.
func (s *Set) TeamNames() []string {
	out := make([]string, 0, len(s.Teams))
	for t := range s.Teams {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Describe is a one-line account of the set for logs: teams active and broken.
func (s *Set) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d rules; teams: %s", len(s.Engine.Rules()), orNone(strings.Join(s.TeamNames(), ", ")))
	if len(s.Broken) > 0 {
		names := make([]string, len(s.Broken))
		for i, br := range s.Broken {
			names[i] = br.Team
			if br.Kept != "" {
				names[i] += " (previous pack kept)"
			}
		}
		fmt.Fprintf(&b, "; broken: %s", strings.Join(names, ", "))
	}
	if s.Revision != "" {
		fmt.Fprintf(&b, "; revision %s", s.Revision)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// BuiltinTeam is the Team of the built-in pack's rules; every other team is a team pack.
const BuiltinTeam = "builtin"

// DefaultInputLimit is the record size above which team rules are not evaluated
// (Set.InputLimit): 64 KiB, far above ordinary IAM records, so a team rule's cost stays
// bounded on the rare huge record. Built-in rules still evaluate it.
const DefaultInputLimit = 64 << 10

// DefaultPackDeadline bounds the time one team pack's rules may take together on one event
// (Options.PackDeadline); the built-in pack is bound only by each rule's deadline.
const DefaultPackDeadline = 500 * time.Millisecond

// NotLoadedError is the rule error of an event that a broken team pack's rules declared:
// they did not evaluate it. The load error itself is reported once, when the set is built.
type NotLoadedError struct{ Broken *Broken }

func (e *NotLoadedError) Error() string {
	return fmt.Sprintf("team %s: rule pack %s is not loaded, so its rules did not evaluate this event", e.Broken.Team, e.Broken.Origin)
}

func (e *NotLoadedError) Unwrap() error { return e.Broken }
