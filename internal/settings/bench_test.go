package settings

import "testing"

// BenchmarkLoadFunction is the cost settings add to the function's init: the template's
// variables parsed once.
func BenchmarkLoadFunction(b *testing.B) {
	getenv := env("ALERT_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/111122223333/triage", "SECURITY_HUB", "true",
		"STATE_TABLE", "trailhound-state", "ENRICH", "true", "LOG_LEVEL", "info", "RULES_RELOAD_SECONDS", "60",
		"PAGERDUTY_SECRET", "arn:aws:secretsmanager:us-east-1:111122223333:secret:pd", "PAGERDUTY_MIN_SEVERITY", "HIGH")
	for b.Loop() {
		if _, err := LoadFunction(getenv); err != nil {
			b.Fatal(err)
		}
	}
}
