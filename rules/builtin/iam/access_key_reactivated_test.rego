package builtin.iam.access_key_reactivated_test

import data.builtin.iam.access_key_reactivated as rule
import data.lib.test

# An UpdateAccessKey record as CloudTrail writes it (IAM user, CLI, long-term key).
base := test.update_access_key(test.iam_user("alice"), {"accessKeyId": "AKIAEXAMPLEOLDKEY001", "status": "Active"})

with_params(params) := test.patched(base, {"requestParameters": params})

assumed_role_identity := test.patched(test.assumed_role("Admin", "carol"), {"sessionContext": {
	"sessionIssuer": {
		"type": "Role",
		"principalId": "AROAEXAMPLEADMIN0001",
		"arn": "arn:aws:iam::111122223333:role/Admin",
		"accountId": "111122223333",
		"userName": "Admin",
	},
	"webIdFederationData": {},
	"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "true"},
}})

test_alert_user_reactivates_own_key_is_medium if {
	f := test.one(rule.alert) with input as base
	f.severity == "MEDIUM"
	f.msg == "alice (IAMUser) from 198.51.100.7 reactivated access key AKIAEXAMPLEOLDKEY001 of their own IAM user alice."
	f.target == {"user_name": "alice", "access_key_id": "AKIAEXAMPLEOLDKEY001", "status": "Active"}
	f.context.acted_on_self == true
	f.context.escalation_reasons == []
	f.context.window_start == "2026-02-28T10:30:00Z"
	not f.context.root_access_key_id
}

test_alert_another_users_key_is_high if {
	f := test.one(rule.alert) with input as with_params({"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"})
	f.severity == "HIGH"
	f.msg == "alice (IAMUser) from 198.51.100.7 reactivated access key AKIAEXAMPLEBOBKEY001 of IAM user bob."
	f.target.user_name == "bob"
	f.context.acted_on_self == false
	f.context.escalation_reasons == ["it is another user's key"]
}

# jackson reactivating jack's key is another user's key, not a substring match of itself.
test_alert_jackson_on_jack_is_high if {
	rec := test.patched(with_params({"userName": "jack", "accessKeyId": "AKIAEXAMPLEJACKKEY01", "status": "Active"}), {"userIdentity": {
		"type": "IAMUser",
		"arn": "arn:aws:iam::111122223333:user/jackson",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEJACKSON01",
		"userName": "jackson",
	}})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

test_alert_root_is_critical if {
	rec := test.patched(base, {"userIdentity": test.root_console, "userAgent": "AWS Internal", "sourceIPAddress": "192.0.2.44"})
	f := test.one(rule.alert) with input as rec
	f.severity == "CRITICAL"
	f.msg == "root (Root) from 192.0.2.44 reactivated access key AKIAEXAMPLEOLDKEY001 of the root user itself."
	f.context.root_access_key_id == "AKIAEXAMPLEOLDKEY001"
	f.target == {"access_key_id": "AKIAEXAMPLEOLDKEY001", "status": "Active"}
	"the root user reactivated it" in f.context.escalation_reasons
}

test_alert_assumed_role_is_high if {
	rec := test.patched(with_params({"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"}), {"userIdentity": assumed_role_identity})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.msg == "Admin/carol (AssumedRole) from 198.51.100.7 reactivated access key AKIAEXAMPLEBOBKEY001 of IAM user bob."
	f.context.actor_role_name == "Admin"
	f.context.escalation_reasons == ["it is another user's key", "the caller is an assumed role"]
}

test_alert_own_key_from_console_without_mfa_is_high if {
	rec := test.patched(base, {
		"userIdentity": {
			"type": "IAMUser",
			"arn": "arn:aws:iam::111122223333:user/alice",
			"accountId": "111122223333",
			"accessKeyId": "ASIAEXAMPLECONSOLE01",
			"userName": "alice",
			"sessionContext": {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"}},
		},
		"userAgent": "AWS Internal",
		"sessionCredentialFromConsole": "true",
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.context.escalation_reasons == ["the console session was not MFA-authenticated"]
	not f.context.actor_long_term_key_id
}

test_alert_own_key_from_console_with_mfa_stays_medium if {
	rec := test.patched(base, {
		"userIdentity": {
			"type": "IAMUser",
			"arn": "arn:aws:iam::111122223333:user/alice",
			"accountId": "111122223333",
			"accessKeyId": "ASIAEXAMPLECONSOLE01",
			"userName": "alice",
			"sessionContext": {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "true"}},
		},
		"userAgent": "AWS Internal",
		"sessionCredentialFromConsole": "true",
	})
	test.one(rule.alert).severity == "MEDIUM" with input as rec
}

test_alert_cross_account_caller_is_high if {
	rec := test.patched(with_params({"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"}), {"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::444455556666:assumed-role/Deployer/ci",
		"accountId": "444455556666",
		"accessKeyId": "ASIAEXAMPLEXACCOUNT1",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::444455556666:role/Deployer", "accountId": "444455556666", "userName": "Deployer"}},
	}})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	"the caller belongs to another account" in f.context.escalation_reasons
	contains(f.msg, "(AssumedRole, account 444455556666)")
}

# Near misses.

test_no_alert_deactivating_a_key if {
	count(rule.alert) == 0 with input as with_params({"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"})
	count(rule.alert) == 0 with input as with_params({"accessKeyId": "AKIAEXAMPLEOLDKEY001", "status": "Inactive"})
}

test_no_alert_denied_reactivation if {
	rec := test.patched(base, {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAccessKey on resource: user bob because no identity-based policy allows the iam:UpdateAccessKey action",
		"requestParameters": null,
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_failed_reactivation_of_a_missing_key if {
	rec := test.patched(base, {"errorCode": "NoSuchEntityException", "errorMessage": "The Access Key with id AKIAEXAMPLEOLDKEY001 cannot be found."})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_key_created_active if {
	rec := test.patched(base, {
		"eventName": "CreateAccessKey",
		"requestParameters": {"userName": "bob"},
		"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active", "userName": "bob"}},
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_other_event_source if {
	count(rule.alert) == 0 with input as test.patched(base, {"eventSource": "sts.amazonaws.com"})
}

# root_access_key_id needs both the root user acting on itself and the key in the record.
test_alert_root_without_key_id_has_no_root_access_key_id if {
	rec := test.patched(base, {"userIdentity": test.root_console, "requestParameters": {"status": "Active"}})
	f := test.one(rule.alert) with input as rec
	f.severity == "CRITICAL"
	not "root_access_key_id" in object.keys(f.context)
}

# IAM Identity Center console sessions record mfaAuthenticated false whatever MFA the
# identity provider enforced: not evidence of no MFA, so no escalation.
sso_identity := {
	"type": "AssumedRole",
	"principalId": "AROAEXAMPLESSO000001:alice@example.com",
	"arn": "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com",
	"accountId": "111122223333",
	"accessKeyId": "ASIAEXAMPLESSO000001",
	"sessionContext": {
		"sessionIssuer": {
			"type": "Role",
			"principalId": "AROAEXAMPLESSO000001",
			"arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
			"accountId": "111122223333",
			"userName": "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
		},
		"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
	},
}

# plain_role_identity is sso_identity on an ordinary IAM role: the near miss.
plain_role_identity := json.patch(sso_identity, [
	{"op": "replace", "path": "/arn", "value": "arn:aws:sts::111122223333:assumed-role/Admin/alice"},
	{"op": "replace", "path": "/sessionContext/sessionIssuer/arn", "value": "arn:aws:iam::111122223333:role/Admin"},
	{"op": "replace", "path": "/sessionContext/sessionIssuer/userName", "value": "Admin"},
])

cfn_identity := {
	"type": "AssumedRole",
	"arn": "arn:aws:sts::111122223333:assumed-role/cfn-deployer/AWSCloudFormation",
	"accountId": "111122223333",
	"accessKeyId": "ASIAEXAMPLECFN000001",
	"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/cfn-deployer", "accountId": "111122223333", "userName": "cfn-deployer"}},
	"invokedBy": "cloudformation.amazonaws.com",
}

reactivate_bobs_key := with_params({"userName": "bob", "accessKeyId": "AKIAEXAMPLEOLDKEY001", "status": "Active"})

test_alert_sso_console_reactivation_is_not_escalated_for_mfa if {
	f := test.one(rule.alert) with input as test.console(reactivate_bobs_key, sso_identity)
	f.severity == "HIGH" # another user's key, by an assumed role: not for MFA
	not "the console session was not MFA-authenticated" in f.context.escalation_reasons
}

test_alert_plain_role_console_reactivation_lists_mfa if {
	f := test.one(rule.alert) with input as test.console(reactivate_bobs_key, plain_role_identity)
	"the console session was not MFA-authenticated" in f.context.escalation_reasons
}

test_alert_cloudformation_reactivation_is_stepped_down if {
	f := test.one(rule.alert) with input as test.patched(reactivate_bobs_key, {"userIdentity": cfn_identity, "sourceIPAddress": "cloudformation.amazonaws.com"})
	f.severity == "MEDIUM"
	count(f.context.step_down_reasons) == 1
}

test_alert_masked_key_falls_back_to_listing_keys if {
	f := test.one(rule.alert) with input as with_params({"userName": "bob", "accessKeyId": "HIDDEN_DUE_TO_SECURITY_REASONS", "status": "Active"})
	f.context.masked_key_user_name == "bob"
	not f.target.access_key_id
}
