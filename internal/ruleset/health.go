package ruleset

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
)

// HealthRuleID is the rule id of health alerts: a team pack that is not loaded.
const HealthRuleID = "TH-HEALTH-001"

// HealthAlerts returns one health alert per broken team pack (see HealthAlert).
func (s *Set) HealthAlerts() []*alert.Alert {
	out := make([]*alert.Alert, 0, len(s.Broken))
	now := s.now()
	for _, b := range s.Broken {
		out = append(out, HealthAlert(b, s.Revision, now))
	}
	return out
}

// HealthAlert is the synthetic Alert v1 reporting a broken team pack, with rule.id
// TH-HEALTH-001 and rule.team the pack's team, so that it is routed to the team's routes
// and to the default route. Its id is derived from the team, pack, revision and error, so
// every container that loads the same broken pack raises the same id.
func HealthAlert(b *Broken, revision string, now time.Time) *alert.Alert {
	effect := "none of its rules are evaluated"
	if b.Kept != "" {
		effect = "the previous pack from " + b.Kept + " stays active"
	}
	firstLine, _, _ := strings.Cut(b.Err.Error(), "\n")
	events := make([]string, len(b.Events))
	for i, ev := range b.Events {
		events[i] = ev.String()
	}
	ctx := map[string]any{"error": b.Err.Error(), "pack": b.Origin, "events": events, "effect": effect}
	if revision != "" {
		ctx["revision"] = revision
	}
	return alert.Health(alert.HealthInput{
		RuleID: HealthRuleID, Team: b.Team,
		Title:       "Team rule pack not loaded",
		Summary:     fmt.Sprintf("Rule pack %s of team %s is not loaded, so %s: %s", b.Origin, b.Team, effect, firstLine),
		Severity:    rule.High,
		EventName:   "RulePackLoad",
		Target:      map[string]string{"team": b.Team, "pack": b.Origin},
		Context:     ctx,
		Remediation: fmt.Sprintf("Fix the pack and publish it again: `detector rules test %s` gives the verdict CI gives.", b.Origin),
		Runbook: []string{
			"Read context.error: it names the file and line that failed.",
			fmt.Sprintf("Until the pack loads, events of %s's rules (context.events) are not evaluated by them; review them another way if the outage is long.", b.Team),
		},
		IDParts: []string{b.Team, b.Origin, revision, b.Err.Error(), b.Kept},
		Now:     now,
	})
}
