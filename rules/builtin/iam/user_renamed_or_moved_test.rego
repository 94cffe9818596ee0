package builtin.iam.user_renamed_or_moved_test

import data.builtin.iam.user_renamed_or_moved as rule
import data.lib.test

# An UpdateUser record as CloudTrail writes it (IAM user, CLI).
rename := test.update_user(test.iam_user("alice"), {"userName": "bob", "newUserName": "robert"})

test_alert_rename if {
	f := test.one(rule.alert) with input as rename
	f.severity == "MEDIUM"
	f.msg == "alice (IAMUser) from 198.51.100.7 renamed IAM user bob to robert."
	f.target == {"user_name": "bob", "new_user_name": "robert"}
	f.context.current_user_name == "robert"
	f.context.acted_on_self == false
}

test_alert_move if {
	f := test.one(rule.alert) with input as test.patched(rename, {"requestParameters": {"userName": "bob", "newPath": "/contractors/"}})
	f.msg == "alice (IAMUser) from 198.51.100.7 moved IAM user bob to path /contractors/."
	f.target == {"user_name": "bob", "new_path": "/contractors/"}
	f.context.current_user_name == "bob"
}

test_alert_rename_and_move if {
	f := test.one(rule.alert) with input as test.patched(rename, {"requestParameters": {"userName": "bob", "newUserName": "robert", "newPath": "/contractors/"}})
	f.msg == "alice (IAMUser) from 198.51.100.7 renamed IAM user bob to robert and moved it to path /contractors/."
}

test_alert_self_rename_is_high if {
	f := test.one(rule.alert) with input as test.patched(rename, {"requestParameters": {"userName": "alice", "newUserName": "svc-backup"}})
	f.severity == "HIGH"
	f.msg == "alice (IAMUser) from 198.51.100.7 renamed their own IAM user alice to svc-backup."
	f.context.escalation_reasons == ["the caller renamed or moved itself"]
}

test_alert_assumed_role_rename if {
	rec := test.patched(rename, {"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::111122223333:assumed-role/IAMAdmin/carol",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLESESSION01",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/IAMAdmin", "accountId": "111122223333", "userName": "IAMAdmin"}},
	}})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.context.actor_role_name == "IAMAdmin"
}

test_no_alert_update_without_new_name_or_path if {
	count(rule.alert) == 0 with input as test.patched(rename, {"requestParameters": {"userName": "bob"}})
	count(rule.alert) == 0 with input as test.patched(rename, {"requestParameters": {"userName": "bob", "newUserName": "", "newPath": ""}})
}

test_no_alert_failed_rename if {
	rec := test.patched(rename, {"errorCode": "EntityAlreadyExistsException", "errorMessage": "User with name robert already exists."})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_other_user_call if {
	count(rule.alert) == 0 with input as test.patched(rename, {"eventName": "UpdateLoginProfile"})
}

# The root user moving itself names no IAM user: no current_user_name.
test_alert_root_move_has_no_current_user_name if {
	root := {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}
	f := test.one(rule.alert) with input as test.patched(rename, {"userIdentity": root, "requestParameters": {"newPath": "/x/"}})
	f.msg == "root (Root) from 198.51.100.7 moved the root user itself to path /x/."
	not "current_user_name" in object.keys(f.context)
	f.context.acted_on_self == true
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

test_alert_sso_console_rename_is_not_escalated if {
	f := test.one(rule.alert) with input as test.console(rename, sso_identity)
	f.severity == "MEDIUM"
	f.context.escalation_reasons == []
	startswith(f.context.mfa_caveat, "the session came from an external identity provider")
}

test_alert_plain_role_console_rename_without_mfa_is_escalated if {
	f := test.one(rule.alert) with input as test.console(rename, plain_role_identity)
	f.severity == "HIGH"
	f.context.escalation_reasons == ["the console session was not MFA-authenticated"]
}

# Only a real rename frees a name; a case-only rename or a path-only move frees none.
test_alert_rename_frees_the_old_name if {
	test.one(rule.alert).context.freed_user_name == "bob" with input as rename
}

test_alert_case_only_rename_frees_no_name if {
	f := test.one(rule.alert) with input as test.patched(rename, {"requestParameters": {"userName": "bob", "newUserName": "Bob"}})
	not f.context.freed_user_name
	f.msg == "alice (IAMUser) from 198.51.100.7 renamed IAM user bob to Bob."
}

test_alert_path_move_frees_no_name if {
	f := test.one(rule.alert) with input as test.patched(rename, {"requestParameters": {"userName": "bob", "newPath": "/contractors/"}})
	not f.context.freed_user_name
}
