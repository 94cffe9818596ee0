package tuning

import "github.com/trailhound/trailhound/internal/alert"

// Applied names the tuning exception that changed an alert: what the pipeline counts (per
// exception id) and reports, and what a sink takes back when it suppressed the alert.
type Applied struct {
	ID             string
	Action         string // "set_severity" or "suppress"
	Owner          string
	Reason         string
	Expires        string // YYYY-MM-DD
	AlertID        string
	RuleID         string
	SeverityBefore string
	SeverityAfter  string // "" when suppressed
	// Alert is the alert the exception changed or suppressed, for a sink to take back what
	// it delivered before (sink.Archiver archives its Security Hub finding).
	Alert *alert.Alert
}
