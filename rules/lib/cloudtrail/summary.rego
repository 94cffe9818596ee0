# Alert phrasing and context.
# Building blocks every rule uses for its finding: the "who, from where" phrase for `msg`,
# the triage time window, and the context facts shown to the analyst and used by
# remediation templates.
package lib.cloudtrail

# source is where the call came from: sourceIPAddress (an IP, or an AWS service name such as
# cloudformation.amazonaws.com when a service called on the caller's behalf).
source := input.facts.cloudtrail.source if {
	input.facts.version == 1
} else := s if {
	s := input.sourceIPAddress
	present(s)
} else := "an unknown address"

# summary_phrase names the caller, its identity type, and where the call came from, e.g.
# "alice (IAMUser) from 198.51.100.7" or
# "Admin/alice (AssumedRole, account 444455556666) from 203.0.113.9".
summary_phrase := input.facts.cloudtrail.summary_phrase if {
	input.facts.version == 1
} else := sprintf("%s (%s) from %s", [display_name, identity_type, source]) if {
	cross_account == false
	identity_type
} else := sprintf("%s (%s) from %s", [display_name, _type_or_unknown, source]) if {
	cross_account == false
} else := sprintf("%s (%s, account %s) from %s", [display_name, _type_or_unknown, caller_account, source])

_type_or_unknown := identity_type if {
	identity_type
} else := "unknown identity type"

# event_time_ns is eventTime in nanoseconds since the epoch, when it is RFC 3339 (CloudTrail
# writes "2024-07-30T21:53:13Z"; some fixtures carry other layouts, which stay undefined).
# The pattern rejects out-of-range fields before parsing, so odd input stays undefined instead
# of raising a builtin error (only impossible dates such as February 30 still reach the parser).
event_time_ns := input.facts.cloudtrail.event_time_ns if {
	input.facts.version == 1
} else := time.parse_rfc3339_ns(t) if {
	t := input.eventTime
	is_string(t)
	regex.match(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`, t)
}

# triage_window_hours is how far before and after the event the runbooks look.
triage_window_hours := 24

# window_start and window_end bound the triage window around the event (RFC 3339, UTC),
# computed in base_context.
window_start := base_context.window_start

window_end := base_context.window_end

# base_context is the context every built-in finding starts from:
#   console_session, mfa_authenticated, cross_account   booleans, always present
#   actor_user_name        the caller's IAM user name (IAMUser callers only)
#   actor_role_name        the assumed role's name (AssumedRole callers only)
#   actor_long_term_key_id the caller's AKIA key (only when the call was signed with one)
#   window_start, window_end  the triage window (only when eventTime is RFC 3339)
# Remediation commands that only make sense for one kind of caller use these keys, so the
# engine leaves them out when the key is absent. Each key comes with its value as a list of at
# most one element, and is left out when that is empty (see actor in identity.rego for why).
base_context := input.facts.cloudtrail.base_context if {
	input.facts.version == 1
} else := {k: v |
	some [k, vs] in [
		["console_session", [console_session]],
		["mfa_authenticated", [mfa_authenticated]],
		["cross_account", [cross_account]],
		["actor_user_name", [x | x := caller_user_name]],
		["actor_role_name", [x | x := role_name]],
		["actor_long_term_key_id", [x | x := long_term_key_id]],
		# The triage window: triage_window_hours (24 h, in nanoseconds) before and after the event.
		["window_start", [time.format([t - 86400000000000, "UTC", "2006-01-02T15:04:05Z07:00"]) | t := event_time_ns]],
		["window_end", [time.format([t + 86400000000000, "UTC", "2006-01-02T15:04:05Z07:00"]) | t := event_time_ns]],
	]
	some v in vs
}
