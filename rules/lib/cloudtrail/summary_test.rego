package lib.cloudtrail_test

import data.lib.cloudtrail

test_summary_phrase_iam_user if {
	cloudtrail.summary_phrase == "alice (IAMUser) from 198.51.100.7" with input as iam_user
}

test_summary_phrase_assumed_role if {
	cloudtrail.summary_phrase == "Admin/alice@example.com (AssumedRole) from 203.0.113.9" with input as assumed_role
}

test_summary_phrase_cross_account if {
	cloudtrail.summary_phrase == "Auditor/bob (AssumedRole, account 444455556666) from 203.0.113.9" with input as cross_account_role
}

test_summary_phrase_root_and_service if {
	cloudtrail.summary_phrase == "root (Root) from 192.0.2.44" with input as root_console
	cloudtrail.summary_phrase == "cloudformation.amazonaws.com (AWSService) from cloudformation.amazonaws.com" with input as aws_service
}

test_summary_phrase_of_an_empty_record if {
	cloudtrail.summary_phrase == "an unknown caller (unknown identity type) from an unknown address" with input as {}
}

# The type is "unknown identity type" whenever userIdentity.type is absent or masked, in the
# same-account and the cross-account phrase alike.
test_summary_phrase_without_identity_type if {
	untyped := json.remove(iam_user, ["/userIdentity/type"])
	cloudtrail.summary_phrase == "alice (unknown identity type) from 198.51.100.7" with input as untyped
	masked := json.patch(cross_account_role, [{"op": "replace", "path": "/userIdentity/type", "value": "HIDDEN_DUE_TO_SECURITY_REASONS"}])
	cloudtrail.summary_phrase == "AROAEXAMPLEADMIN0001:alice@example.com (unknown identity type, account 444455556666) from 203.0.113.9" with input as masked
}

test_triage_window if {
	rec := object.union(iam_user, {"eventTime": "2026-03-01T10:30:00Z"})
	cloudtrail.window_start == "2026-02-28T10:30:00Z" with input as rec
	cloudtrail.window_end == "2026-03-02T10:30:00Z" with input as rec
}

test_triage_window_with_offset_and_fraction if {
	cloudtrail.window_start == "2026-02-28T09:30:00Z" with input as {"eventTime": "2026-03-01T10:30:00.250+01:00"}
}

# Some fixtures carry "2022-09-27 17:09:18": no window, and no error.
test_no_triage_window_for_non_rfc3339_times if {
	not cloudtrail.window_start with input as {"eventTime": "2022-09-27 17:09:18"}
	not cloudtrail.window_start with input as {"eventTime": 1700000000}
	not cloudtrail.window_start with input as {}
	not cloudtrail.window_start with input as {"eventTime": "2026-13-45T99:99:99Z"}
}

test_base_context_iam_user if {
	rec := object.union(iam_user, {"eventTime": "2026-03-01T10:30:00Z"})
	cloudtrail.base_context == {
		"console_session": false,
		"mfa_authenticated": false,
		"cross_account": false,
		"actor_user_name": "alice",
		"actor_long_term_key_id": "AKIAEXAMPLEALICE0001",
		"window_start": "2026-02-28T10:30:00Z",
		"window_end": "2026-03-02T10:30:00Z",
	} with input as rec
}

test_base_context_assumed_role if {
	cloudtrail.base_context == {
		"console_session": true,
		"mfa_authenticated": false,
		"cross_account": false,
		"actor_role_name": "Admin",
	} with input as object.remove(assumed_role, ["eventTime"]) # no eventTime: no triage window
}
