package team

import "github.com/trailhound/trailhound/internal/alert"

// Suppressed names the team suppression that kept one alert from delivery: what the pipeline
// counts (per suppression id) and reports, and what a sink takes back.
type Suppressed struct {
	ID      string // e.g. PAYMENTS-S-001
	Team    string
	Owner   string
	Reason  string
	Expires string // YYYY-MM-DD
	AlertID string
	RuleID  string
	// Alert is the suppressed alert, for a sink to take back what it delivered before the
	// suppression applied (sink.Archiver archives its Security Hub finding).
	Alert *alert.Alert `json:"-"`
}
