package tuning

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
)

// Facts are the alert values an exception matches on.
type Facts struct {
	RuleID   string
	ActorARN string
	// SessionIssuer is the role ARN of an assumed-role caller; actor_arn patterns match it
	// as well as ActorARN (the STS session ARN).
	SessionIssuer string
	// TargetUsers are the IAM users the alert is about: its target.user_name, or for a
	// threshold alert the target of every event it stands for. target_user must match
	// every one of them (and there must be one).
	TargetUsers []string
	Account     string // the account the event happened in
	SourceIP    string
	UserAgent   string
	InvokedBy   string
	Severity    rule.Severity // the alert's effective severity
}

// Action is what an exception did to an alert.
type Action string

// The actions.
const (
	Lowered    Action = "set_severity"
	Suppressed Action = "suppress"
)

// Decision is what the tuning file does to one alert.
type Decision struct {
	// Exception is the first exception (in file order) that matched and changed the alert;
	// nil when none did.
	Exception *Exception
	Action    Action
	// Severity is the alert's severity after the decision (never above Facts.Severity).
	Severity rule.Severity
	// Staged: the alert's rule is staged.
	Staged bool
}

// Policy is a tuning file compiled for matching. It is immutable and safe for concurrent
// use.
type Policy struct {
	File       *File
	exceptions []exception
	staged     map[string]bool
	disabled   map[string]*Disabled
}

type exception struct {
	*Exception
	rules                map[string]bool
	actor, target, agent *regexp.Regexp
	source               netip.Prefix
	hasSource            bool
	severity             rule.Severity
}

// New compiles a validated tuning file.
func New(f *File) (*Policy, error) {
	p := &Policy{File: f, staged: map[string]bool{}, disabled: map[string]*Disabled{}}
	for i := range f.Exceptions {
		e := &f.Exceptions[i]
		c := exception{
			Exception: e, rules: map[string]bool{},
			actor: team.Glob(e.Match.ActorARN), target: team.Glob(e.Match.TargetUser), agent: team.Glob(e.Match.UserAgent),
		}
		for _, id := range e.Rules {
			c.rules[id] = true
		}
		if e.Match.SourceIP != "" {
			pfx, err := team.ParsePrefix(e.Match.SourceIP)
			if err != nil {
				return nil, fmt.Errorf("exception %s: source_ip %q: %w", e.ID, e.Match.SourceIP, err)
			}
			c.source, c.hasSource = pfx, true
		}
		if e.SetSeverity != "" {
			sev, err := rule.ParseSeverity(e.SetSeverity)
			if err != nil {
				return nil, fmt.Errorf("exception %s: set_severity: %w", e.ID, err)
			}
			c.severity = sev
		}
		p.exceptions = append(p.exceptions, c)
	}
	for _, id := range f.Staged {
		p.staged[id] = true
	}
	for i := range f.Disabled {
		p.disabled[f.Disabled[i].ID] = &f.Disabled[i]
	}
	return p, nil
}

// Disabled returns the entry that turns rule id off, or nil.
func (p *Policy) Disabled(id string) *Disabled {
	if p == nil {
		return nil
	}
	return p.disabled[id]
}

// Staged reports whether rule id is staged.
func (p *Policy) Staged(id string) bool { return p != nil && p.staged[id] }

// Decide applies the exceptions to an alert. The first exception in file order that matches
// and would change the alert wins: one that suppresses, or one whose set_severity is below
// the alert's severity (an exception never raises; an alert already at or below it is left
// as it is, and the next exception is tried). An exception whose expiry day is over at now
// no longer matches (a long-running Lambda outlives the validation at load).
func (p *Policy) Decide(f Facts, now time.Time) Decision {
	d := Decision{Severity: f.Severity, Staged: p.Staged(f.RuleID)}
	if p == nil {
		return d
	}
	for i := range p.exceptions {
		e := &p.exceptions[i]
		if !e.rules[f.RuleID] || !e.matches(f) || e.Expires.ExpiredAt(now) {
			continue
		}
		switch {
		case e.Suppress:
			d.Exception, d.Action = e.Exception, Suppressed
			return d
		case e.severity < f.Severity:
			d.Exception, d.Action, d.Severity = e.Exception, Lowered, e.severity
			return d
		}
	}
	return d
}

func (e *exception) matches(f Facts) bool {
	m := e.Match
	if e.actor != nil && !e.actor.MatchString(f.ActorARN) && (f.SessionIssuer == "" || !e.actor.MatchString(f.SessionIssuer)) {
		return false
	}
	if e.target != nil {
		if len(f.TargetUsers) == 0 {
			return false
		}
		for _, u := range f.TargetUsers {
			if u == "" || !e.target.MatchString(u) {
				return false
			}
		}
	}
	if len(m.Account) > 0 && !slices.Contains(m.Account, f.Account) {
		return false
	}
	if e.agent != nil && !e.agent.MatchString(f.UserAgent) {
		return false
	}
	if m.InvokedBy != "" && m.InvokedBy != f.InvokedBy {
		return false
	}
	if e.hasSource {
		a, err := netip.ParseAddr(f.SourceIP) // service calls carry a host name: no match
		if err != nil || !e.source.Contains(a.Unmap()) {
			return false
		}
	}
	return true
}
