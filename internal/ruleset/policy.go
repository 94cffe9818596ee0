package ruleset

import (
	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
)

// Apply runs the policy of the team that owns the alert's rule (pipeline.RuleSet): a
// break-glass principal raises the alert's severity and notes it in context.break_glass; a
// matching suppression keeps it from delivery. Built-in alerts are never touched: a team's
// policy covers its own rules only.
func (s *Set) Apply(a *alert.Alert) (team.Suppressed, bool) {
	p := s.Teams[a.Rule.Team]
	if p == nil {
		return team.Suppressed{}, false
	}
	sev, _ := rule.ParseSeverity(a.Severity)
	d := p.Policy.Decide(team.Facts{
		RuleID: a.Rule.ID, ActorARN: a.Actor.ARN, SessionIssuer: a.Actor.SessionIssuer, Account: a.Event.Account,
		SourceIP: a.Event.SourceIP, UserAgent: a.Event.UserAgent, Severity: sev,
	}, s.now())
	switch {
	case d.BreakGlass != nil:
		a.BreakGlass(d.Severity, p.Team, d.BreakGlass.ActorARN, d.BreakGlass.Owner, d.BreakGlass.Reason)
	case d.Suppressed != nil:
		sp := d.Suppressed
		return team.Suppressed{
			ID: sp.ID, Team: p.Team, Owner: sp.Owner, Reason: sp.Reason, Expires: sp.Expires.String(),
			AlertID: a.ID, RuleID: a.Rule.ID,
		}, true
	}
	return team.Suppressed{}, false
}
