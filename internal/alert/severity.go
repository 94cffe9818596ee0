package alert

import (
	"github.com/trailhound/trailhound/internal/rule"
)

// Context keys in which a rule lists why its finding's severity differs from the rule's.
const (
	ContextEscalationReasons = "escalation_reasons"
	ContextStepDownReasons   = "step_down_reasons"
)

// ruleSeverityReasons explains a finding's severity from the reasons its rule listed in its
// context: escalation_reasons raised it from the rule's severity, then step_down_reasons
// lowered it (the pack's rules move one step each way, so the escalated level is one above
// the final one when both are listed). A rule that changed the severity without listing a
// reason gets one entry saying so, so a difference is never unexplained.
func ruleSeverityReasons(base, got rule.Severity, ctx map[string]any) []SeverityReason {
	if !base.Valid() || !got.Valid() {
		return nil
	}
	up, down := reasonList(ctx[ContextEscalationReasons]), reasonList(ctx[ContextStepDownReasons])
	mid := got
	if len(down) > 0 {
		mid = min(got+1, rule.Critical)
	}
	var out []SeverityReason
	if mid > base {
		for _, r := range up {
			out = append(out, SeverityReason{Change: "raised", From: base.String(), To: mid.String(), By: "rule", Reason: r})
		}
	} else {
		mid = base // nothing raised it: the step-downs start from the rule's severity
	}
	if got < mid {
		for _, r := range down {
			out = append(out, SeverityReason{Change: "lowered", From: mid.String(), To: got.String(), By: "rule", Reason: r})
		}
	}
	if len(out) == 0 && base != got {
		change := "raised"
		if got < base {
			change = "lowered"
		}
		out = append(out, SeverityReason{Change: change, From: base.String(), To: got.String(), By: "rule", Reason: "the rule set this severity for this event (it listed no reason)"})
	}
	return out
}

// reasonList reads a context list of reason strings.
func reasonList(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, r := range l {
			if s, ok := r.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	case []string:
		for _, s := range l {
			if s != "" {
				out = append(out, s)
			}
		}
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
