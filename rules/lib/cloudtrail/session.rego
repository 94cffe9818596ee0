# Console sessions and MFA.
# Whether the call came from an AWS Management Console session and whether that session
# was MFA-authenticated.
package lib.cloudtrail

# console_user_agents are the userAgent values the console (and the sign-in service) record.
console_user_agents := {"console.amazonaws.com", "signin.amazonaws.com", "AWS Internal"}

default mfa_authenticated := false

mfa_authenticated := input.facts.cloudtrail.mfa_authenticated if {
	input.facts.version == 1
} else := _ref_mfa_authenticated

# mfa_authenticated holds when the session was established with MFA
# (sessionContext.attributes.mfaAuthenticated is "true"; some pipelines turn it into a boolean).
_ref_mfa_authenticated if input.userIdentity.sessionContext.attributes.mfaAuthenticated == "true"

_ref_mfa_authenticated if input.userIdentity.sessionContext.attributes.mfaAuthenticated == true

default console_session := false

console_session := input.facts.cloudtrail.console_session if {
	input.facts.version == 1
} else := _ref_console_session

# console_session holds for calls made from a console session: CloudTrail flags it with
# sessionCredentialFromConsole, or the record has a sessionContext and the console's marks
# (invokedBy signin.amazonaws.com, a console userAgent, aws-internal/ userAgents).
_ref_console_session if input.sessionCredentialFromConsole == "true"

_ref_console_session if input.sessionCredentialFromConsole == true

_ref_console_session if {
	is_object(input.userIdentity.sessionContext)
	input.userIdentity.invokedBy == "signin.amazonaws.com"
}

# The agents are console_user_agents, written out (rules/lib/README.md, "Cost").
_ref_console_session if {
	is_object(input.userIdentity.sessionContext)
	input.userAgent in {"console.amazonaws.com", "signin.amazonaws.com", "AWS Internal"}
}

_ref_console_session if {
	is_object(input.userIdentity.sessionContext)
	is_string(input.userAgent)
	startswith(input.userAgent, "aws-internal/")
}

default console_without_mfa := false

# console_without_mfa holds for a console session that was not MFA-authenticated.
console_without_mfa := input.facts.cloudtrail.console_without_mfa if {
	input.facts.version == 1
} else if {
	console_session
	mfa_authenticated == false
}
