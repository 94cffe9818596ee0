package ruleset

import (
	"fmt"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
)

// BundleHealthAlert is the synthetic Alert v1 reporting a rules bundle that was refused (it
// did not verify, was over a limit, or did not read): rule.id TH-HEALTH-001 of the built-in
// team, so it goes to the default route. location is the bundle (s3://...), version the
// refused content (etag ...), reason the refusal's name (bundle.RefusalReason) and active
// what stays in force. Its id is derived from location, version and reason, so every
// container that refuses the same object raises the same id.
func BundleHealthAlert(location, version, reason string, err error, active string, now time.Time) *alert.Alert {
	if active == "" {
		active = "the rules the function started with (no bundle accepted yet)"
	}
	firstLine, _, _ := strings.Cut(err.Error(), "\n")
	return alert.Health(alert.HealthInput{
		RuleID: HealthRuleID, Team: BuiltinTeam,
		Title:       "Rules bundle refused",
		Summary:     fmt.Sprintf("The rules bundle %s (%s) was refused (%s), so %s stay active: %s", location, version, reason, active, firstLine),
		Severity:    rule.High,
		EventName:   "RulesBundleLoad",
		Target:      map[string]string{"bundle": location, "version": version},
		Context:     map[string]any{"error": err.Error(), "reason": reason, "active": active},
		Remediation: "Find out who wrote the object: a bundle that does not verify or is over a limit was not built by the release pipeline (`detector rules bundle`). Publish a good bundle again.",
		Runbook: []string{
			"Read context.reason and context.error: unsigned_entry or bad_signature means someone who is not the release pipeline wrote the bucket.",
			"Check the bucket's CloudTrail data events (PutObject on the bundle key) for the writer.",
		},
		IDParts: []string{location, version, reason},
		Now:     now,
	})
}
