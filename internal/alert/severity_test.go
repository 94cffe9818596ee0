package alert

import (
	"testing"

	"github.com/trailhound/trailhound/internal/rule"
)

func TestRuleSeverityReasons(t *testing.T) {
	cfn := "CloudFormation made the call"
	for name, c := range map[string]struct {
		base, got rule.Severity
		ctx       map[string]any
		want      []SeverityReason
	}{
		"unchanged": {rule.High, rule.High, map[string]any{}, nil},
		"raised": {rule.High, rule.Critical, map[string]any{"escalation_reasons": []any{"cross-account"}},
			[]SeverityReason{{"raised", "HIGH", "CRITICAL", "rule", "cross-account"}}},
		"lowered": {rule.High, rule.Medium, map[string]any{"step_down_reasons": []any{cfn}},
			[]SeverityReason{{"lowered", "HIGH", "MEDIUM", "rule", cfn}}},
		"raised then lowered": {rule.High, rule.High, map[string]any{"escalation_reasons": []any{"cross-account"}, "step_down_reasons": []string{cfn}},
			[]SeverityReason{{"raised", "HIGH", "CRITICAL", "rule", "cross-account"}, {"lowered", "CRITICAL", "HIGH", "rule", cfn}}},
		"unlisted": {rule.Critical, rule.High, map[string]any{},
			[]SeverityReason{{"lowered", "CRITICAL", "HIGH", "rule", "the rule set this severity for this event (it listed no reason)"}}},
		"listed but empty": {rule.Medium, rule.High, map[string]any{"escalation_reasons": []any{}},
			[]SeverityReason{{"raised", "MEDIUM", "HIGH", "rule", "the rule set this severity for this event (it listed no reason)"}}},
	} {
		got := ruleSeverityReasons(c.base, c.got, c.ctx)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %+v, want %+v", name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: [%d] got %+v, want %+v", name, i, got[i], c.want[i])
			}
		}
	}
}
