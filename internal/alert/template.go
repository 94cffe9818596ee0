package alert

import (
	"fmt"

	"github.com/trailhound/trailhound/internal/rule"
)

// fill renders the rule's remediation and runbook templates with the alert's values: shell-
// quoted in CLI commands, as-is in text. A command whose placeholder has no value in this
// event is left out and the step says so; a command is never rendered half-filled.
func fill(a *Alert, r *rule.Rule) {
	fields := Fields(a)
	text := func(s string) string {
		out, _, _ := rule.Expand(s, func(p string) (string, bool) {
			v, ok := fields[p]
			if !ok {
				return "<unknown " + p + ">", true
			}
			return v, true
		})
		return out
	}
	steps := func(in []rule.Step) []Step {
		out := make([]Step, 0, len(in))
		for _, s := range in {
			st := Step{Title: text(s.Title), Console: make([]string, 0, len(s.Console)), CLI: make([]string, 0, len(s.CLI))}
			for _, c := range s.Console {
				st.Console = append(st.Console, text(c))
			}
			for _, c := range s.CLI {
				cmd, missing, ok := rule.Expand(c, func(p string) (string, bool) {
					v, ok := fields[p]
					return ShellQuote(v), ok
				})
				if !ok {
					st.Omitted = append(st.Omitted, fmt.Sprintf("a command needs %s, which this event does not carry: %s", missing, c))
					continue
				}
				st.CLI = append(st.CLI, cmd)
			}
			out = append(out, st)
		}
		return out
	}
	rem := r.Remediation
	a.Remediation = Remediation{
		Summary:     text(rem.Summary),
		Containment: steps(rem.Containment),
		Steps:       steps(rem.Steps),
		Backout:     steps(rem.Backout),
		References:  nonNil(rem.References),
	}
	a.Runbook = make([]string, 0, len(r.Runbook))
	for _, s := range r.Runbook {
		a.Runbook = append(a.Runbook, text(s))
	}
}
