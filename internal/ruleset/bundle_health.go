package ruleset

import (
	"crypto/sha256"
	"encoding/hex"
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
	h := sha256.New()
	for _, s := range []string{location, version, reason} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	key := hex.EncodeToString(h.Sum(nil))
	id := alert.ID(HealthRuleID, BuiltinTeam, key, 0, 1)
	stamp := now.UTC().Format(time.RFC3339)
	if active == "" {
		active = "the rules the function started with (no bundle accepted yet)"
	}
	firstLine, _, _ := strings.Cut(err.Error(), "\n")
	const title = "Rules bundle refused"
	return &alert.Alert{
		SchemaVersion: alert.SchemaVersion,
		ID:            id,
		CreatedAt:     now.UTC().Truncate(time.Millisecond),
		Severity:      rule.High.String(),
		Title:         title,
		Summary:       fmt.Sprintf("The rules bundle %s (%s) was refused (%s), so %s stay active: %s", location, version, reason, active, firstLine),
		Rule: alert.Rule{
			ID: HealthRuleID, Title: title, Version: "1", Team: BuiltinTeam,
			Severity: rule.High.String(), Attack: []string{}, Compliance: map[string][]string{}, References: []string{},
		},
		Event:   alert.Event{Name: "RulesBundleLoad", Source: "trailhound", Time: stamp},
		Target:  map[string]string{"bundle": location, "version": version},
		Context: map[string]any{"error": err.Error(), "reason": reason, "active": active},
		Remediation: alert.Remediation{
			Summary:     "Find out who wrote the object: a bundle that does not verify or is over a limit was not built by the release pipeline (`detector rules bundle`). Publish a good bundle again.",
			Containment: []alert.Step{}, Steps: []alert.Step{}, Backout: []alert.Step{}, References: []string{},
		},
		Runbook: []string{
			"Read context.reason and context.error: unsigned_entry or bad_signature means someone who is not the release pipeline wrote the bucket.",
			"Check the bucket's CloudTrail data events (PutObject on the bundle key) for the writer.",
		},
		Dedup: alert.Dedup{Key: id, Count: 1, FirstSeen: stamp, LastSeen: stamp},
	}
}
