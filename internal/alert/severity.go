package alert

import (
	"github.com/trailhound/trailhound/internal/rule"
)

// Context keys in which a rule lists why its finding's severity differs from the rule's.
const (
	ContextEscalationReasons = "escalation_reasons"
	ContextStepDownReasons   = "step_down_reasons"
)

// ruleSeverityReasons explains a finding whose severity differs from its rule's, from the
// reasons the rule listed in its context: escalation_reasons when it is higher,
// step_down_reasons when lower. A rule that changed the severity without listing a reason
// gets one entry saying so, so the difference is never unexplained.
func ruleSeverityReasons(base, got rule.Severity, ctx map[string]any) []SeverityReason {
	if base == got || !base.Valid() || !got.Valid() {
		return nil
	}
	change, key := "raised", ContextEscalationReasons
	if got < base {
		change, key = "lowered", ContextStepDownReasons
	}
	var out []SeverityReason
	if list, ok := ctx[key].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok && s != "" {
				out = append(out, SeverityReason{Change: change, From: base.String(), To: got.String(), By: "rule", Reason: s})
			}
		}
	}
	if len(out) == 0 {
		out = append(out, SeverityReason{Change: change, From: base.String(), To: got.String(), By: "rule", Reason: "the rule set this severity for this event (it listed no reason)"})
	}
	return out
}

// AddSeverityReason records a change of a's severity to to (by and reason as in
// SeverityReason) and applies it.
func AddSeverityReason(a *Alert, to rule.Severity, by, reason string) {
	from, _ := rule.ParseSeverity(a.Severity)
	if from == to {
		return
	}
	change := "raised"
	if to < from {
		change = "lowered"
	}
	a.SeverityReasons = append(a.SeverityReasons, SeverityReason{Change: change, From: a.Severity, To: to.String(), By: by, Reason: reason})
	a.Severity = to.String()
}
