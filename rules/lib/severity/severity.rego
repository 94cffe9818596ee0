# METADATA
# title: Severity arithmetic
# description: |
#   Alert severities in ascending order and helpers to move a finding's severity up or down
#   one step (escalation and de-escalation) without leaving the scale.
package lib.severity

# levels are the Alert v1 severities, lowest first.
levels := ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]

# rank(s) is the position of severity s in levels (INFORMATIONAL = 0).
rank(s) := i if {
	some i, level in levels
	level == s
}

# step_down(s) is the next lower severity; INFORMATIONAL stays INFORMATIONAL.
step_down(s) := levels[max([rank(s) - 1, 0])]

# step_up(s) is the next higher severity; CRITICAL stays CRITICAL.
step_up(s) := levels[min([rank(s) + 1, count(levels) - 1])]
