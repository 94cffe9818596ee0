package lib.cloudtrail_test

import data.lib.cloudtrail

console_user := {
	"userIdentity": {
		"type": "IAMUser",
		"arn": "arn:aws:iam::111122223333:user/alice",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLECONSOLE01",
		"userName": "alice",
		"sessionContext": {"attributes": {"creationDate": "2026-03-01T09:00:00Z", "mfaAuthenticated": "false"}},
		"invokedBy": "signin.amazonaws.com",
	},
	"sourceIPAddress": "198.51.100.7",
	"userAgent": "signin.amazonaws.com",
}

test_console_session_marks if {
	cloudtrail.console_session with input as console_user

	# the newer "AWS Internal" user agent with sessionContext
	cloudtrail.console_session with input as json.patch(console_user, [
		{"op": "remove", "path": "/userIdentity/invokedBy"},
		{"op": "replace", "path": "/userAgent", "value": "AWS Internal"},
	])

	# CloudTrail's explicit flag
	cloudtrail.console_session with input as {"sessionCredentialFromConsole": "true"}
}

test_console_session_needs_session_context if {
	# a long-term key call: no sessionContext, even with a console-looking user agent
	not cloudtrail.console_session with input as json.remove(console_user, ["/userIdentity/sessionContext"])
}

test_cli_session_is_not_console if {
	rec := json.patch(console_user, [
		{"op": "remove", "path": "/userIdentity/invokedBy"},
		{"op": "replace", "path": "/userAgent", "value": "aws-cli/1.45.11 Python/3.11.7"},
	])
	not cloudtrail.console_session with input as rec
	not cloudtrail.console_without_mfa with input as rec
}

test_mfa if {
	not cloudtrail.mfa_authenticated with input as console_user
	cloudtrail.console_without_mfa with input as console_user
	with_mfa := json.patch(console_user, [{
		"op": "replace", "path": "/userIdentity/sessionContext/attributes/mfaAuthenticated",
		"value": "true",
	}])
	cloudtrail.mfa_authenticated with input as with_mfa
	not cloudtrail.console_without_mfa with input as with_mfa
	cloudtrail.mfa_authenticated with input as {"userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": true}}}}
	not cloudtrail.mfa_authenticated with input as {}
}

test_non_string_user_agent_is_ignored if {
	not cloudtrail.console_session with input as {"userIdentity": {"sessionContext": {}}, "userAgent": 7}
}

# console_session writes console_user_agents out as a literal set (for OPA's rule index): each
# of them must mark a console session, and nothing close to them.
test_console_session_agrees_with_console_user_agents if {
	no_invoker := json.remove(console_user, ["/userIdentity/invokedBy"])
	every agent in cloudtrail.console_user_agents {
		cloudtrail.console_session with input as json.patch(no_invoker, [{"op": "replace", "path": "/userAgent", "value": agent}])
	}
	every agent in {"Console.amazonaws.com", "console.amazonaws.com ", "AWS", "signin.amazonaws.com.example"} {
		not cloudtrail.console_session with input as json.patch(no_invoker, [{"op": "replace", "path": "/userAgent", "value": agent}])
	}
}
