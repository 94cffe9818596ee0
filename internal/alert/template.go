package alert

import (
	"fmt"
	"strings"

	"github.com/trailhound/trailhound/internal/rule"
)

// fill renders the rule's remediation and runbook templates with the alert's values.
//
// Every value is inserted through ShellQuote, in commands and in text alike: runbook and
// console text often carries command lines an analyst copies, and event values are
// attacker-controlled. Plain values (names, ARNs, key ids, times) are unchanged by quoting.
//
// An entry whose placeholder has no value in this event is left out, never rendered half
// filled: rules gate optional guidance on values that are only present when it applies. A left-
// out CLI command is named in the step's Omitted list unless the missing value is a context.*
// key (rules set those only where the guidance applies); a step left with no entries is
// dropped. Only the remediation summary, which is required, shows a missing value as
// <unknown path>.
func fill(a *Alert, r *rule.Rule) {
	fields := Fields(a)
	lookup := func(p string) (string, bool) {
		v, ok := fields[p]
		return ShellQuote(v), ok
	}
	expand := func(s string) (string, string, bool) { return rule.Expand(s, lookup) }
	texts := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, s := range in {
			if v, _, ok := expand(s); ok {
				out = append(out, v)
			}
		}
		return out
	}
	steps := func(in []rule.Step) []Step {
		out := make([]Step, 0, len(in))
		for _, s := range in {
			title, _, ok := expand(s.Title)
			if !ok {
				continue
			}
			st := Step{Title: title, Console: texts(s.Console), CLI: make([]string, 0, len(s.CLI))}
			for _, c := range s.CLI {
				cmd, missing, ok := expand(c)
				if !ok {
					// context.* keys are set by the rule only where guidance applies (gating);
					// a missing event, actor or target value is a gap the analyst should see.
					if !strings.HasPrefix(missing, "context.") {
						st.Omitted = append(st.Omitted, fmt.Sprintf("a command needs %s, which this event does not carry: %s", missing, c))
					}
					continue
				}
				st.CLI = append(st.CLI, cmd)
			}
			if len(st.Console) == 0 && len(st.CLI) == 0 {
				continue
			}
			out = append(out, st)
		}
		return out
	}
	summary, _, _ := rule.Expand(r.Remediation.Summary, func(p string) (string, bool) {
		if v, ok := lookup(p); ok {
			return v, true
		}
		return "<unknown " + p + ">", true
	})
	rem := r.Remediation
	a.Remediation = Remediation{
		Summary:     summary,
		Containment: steps(rem.Containment),
		Steps:       steps(rem.Steps),
		Backout:     steps(rem.Backout),
		References:  nonNil(rem.References),
	}
	a.Runbook = texts(r.Runbook)
}
