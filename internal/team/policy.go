package team

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
)

// Facts are the alert values a team policy matches on.
type Facts struct {
	RuleID   string
	ActorARN string
	// SessionIssuer is the role ARN of an assumed-role caller; actor_arn patterns match it
	// as well as ActorARN (the STS session ARN).
	SessionIssuer string
	Account       string // the account the event happened in
	SourceIP      string
	UserAgent     string
	Severity      rule.Severity
}

// Decision is what a team's policy does to one alert.
type Decision struct {
	// Suppressed is the suppression that matched; nil when the alert is delivered.
	Suppressed *Suppression
	// BreakGlass is the break-glass principal the actor matched; the alert is then raised to
	// Severity and never suppressed.
	BreakGlass *BreakGlass
	Severity   rule.Severity
}

// Policy is a team's suppressions and break-glass principals, compiled for matching.
type Policy struct {
	suppressions []suppression
	breakGlass   []breakGlass
}

type suppression struct {
	*Suppression
	actor, agent *regexp.Regexp
	source       netip.Prefix
	hasSource    bool
}

type breakGlass struct {
	*BreakGlass
	actor    *regexp.Regexp
	severity rule.Severity
}

// NewPolicy compiles a validated team file's policy.
func NewPolicy(f *File) (*Policy, error) {
	p := &Policy{}
	for i := range f.Suppressions {
		s := &f.Suppressions[i]
		c := suppression{Suppression: s, actor: glob(s.Match.ActorARN), agent: glob(s.Match.UserAgent)}
		if s.Match.SourceIP != "" {
			pfx, err := parsePrefix(s.Match.SourceIP)
			if err != nil {
				return nil, fmt.Errorf("suppression %s: source_ip %q: %w", s.ID, s.Match.SourceIP, err)
			}
			c.source, c.hasSource = pfx, true
		}
		p.suppressions = append(p.suppressions, c)
	}
	for i := range f.BreakGlass {
		b := &f.BreakGlass[i]
		sev := rule.Critical
		if b.Severity != "" {
			var err error
			if sev, err = rule.ParseSeverity(b.Severity); err != nil {
				return nil, fmt.Errorf("break_glass %s: %w", b.ActorARN, err)
			}
		}
		p.breakGlass = append(p.breakGlass, breakGlass{BreakGlass: b, actor: glob(b.ActorARN), severity: sev})
	}
	return p, nil
}

// Decide applies the policy to an alert of the team's rules. Break-glass wins over
// suppressions; a suppression whose expiry day is over at now no longer matches.
func (p *Policy) Decide(f Facts, now time.Time) Decision {
	for i := range p.breakGlass {
		b := &p.breakGlass[i]
		if matchActor(b.actor, f) {
			return Decision{BreakGlass: b.BreakGlass, Severity: max(f.Severity, b.severity)}
		}
	}
	for i := range p.suppressions {
		s := &p.suppressions[i]
		if s.matches(f) && !s.Expires.ExpiredAt(now) {
			return Decision{Suppressed: s.Suppression, Severity: f.Severity}
		}
	}
	return Decision{Severity: f.Severity}
}

func (s *suppression) matches(f Facts) bool {
	m := s.Match
	if len(m.RuleIDs) > 0 && !slices.Contains(m.RuleIDs, f.RuleID) {
		return false
	}
	if s.actor != nil && !matchActor(s.actor, f) {
		return false
	}
	if m.Account != "" && m.Account != f.Account {
		return false
	}
	if s.agent != nil && !s.agent.MatchString(f.UserAgent) {
		return false
	}
	if s.hasSource {
		a, err := netip.ParseAddr(f.SourceIP) // service calls carry a host name: no match
		if err != nil || !s.source.Contains(a.Unmap()) {
			return false
		}
	}
	return true
}

// matchActor matches an actor_arn pattern against the caller's ARN and, for an assumed
// role, the role's ARN.
func matchActor(re *regexp.Regexp, f Facts) bool {
	return re.MatchString(f.ActorARN) || (f.SessionIssuer != "" && re.MatchString(f.SessionIssuer))
}

// glob compiles a pattern where * matches any run of characters (slashes included, as in
// ARN paths) and ? one character; everything else matches itself. nil for "".
func glob(pattern string) *regexp.Regexp {
	if pattern == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
