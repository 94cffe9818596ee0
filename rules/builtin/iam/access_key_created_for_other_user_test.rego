package builtin.iam.access_key_created_for_other_user_test

import data.builtin.iam.access_key_created_for_other_user as rule
import data.lib.test

# A CreateAccessKey record as CloudTrail writes it (IAM user, CLI, long-term key).
create_key(identity, user_name) := test.create_access_key(identity, _params(user_name))

_params(user_name) := {"userName": user_name} if user_name != null

_params(null) := {}

test_alert_user_creates_key_for_another_user if {
	f := test.one(rule.alert) with input as create_key(test.iam_user("user1"), "user2")
	f.severity == "HIGH"
	f.msg == "user1 (IAMUser) from 198.51.100.7 created access key AKIAEXAMPLENEWKEY001 for IAM user user2."
	f.target == {"user_name": "user2", "access_key_id": "AKIAEXAMPLENEWKEY001"}
	f.context.caller_is_root == false
}

test_alert_jackson_creates_key_for_jack if {
	test.one(rule.alert).target.user_name == "jack" with input as create_key(test.iam_user("jackson"), "jack")
}

test_alert_jack_creates_key_for_jackson if {
	test.one(rule.alert).target.user_name == "jackson" with input as create_key(test.iam_user("jack"), "jackson")
}

# Peer fixture quirk: the ARN says jackson, userIdentity.userName says user1. The ARN wins.
test_alert_mismatched_user_name_does_not_hide_another_user if {
	identity := test.patched(test.iam_user("jackson"), {"userName": "user1"})
	test.one(rule.alert).target.user_name == "user1" with input as create_key(identity, "user1")
}

test_alert_root_creates_key_for_a_user if {
	rec := create_key({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "principalId": "111122223333"}, "tracy")
	f := test.one(rule.alert) with input as rec
	f.context.caller_is_root == true
	f.msg == "root (Root) from 198.51.100.7 created access key AKIAEXAMPLENEWKEY001 for IAM user tracy."
}

test_alert_assumed_role_creates_key if {
	rec := create_key(
		{
			"type": "AssumedRole",
			"arn": "arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-42",
			"accountId": "111122223333",
			"accessKeyId": "ASIAEXAMPLESESSION01",
			"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Deployer", "accountId": "111122223333", "userName": "Deployer"}},
		},
		"svc-reporting",
	)
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.context.actor_role_name == "Deployer"
}

test_alert_console_without_mfa_is_critical if {
	identity := object.union(test.iam_user("alice"), {
		"accessKeyId": "ASIAEXAMPLECONSOLE01",
		"sessionContext": {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"}},
		"invokedBy": "signin.amazonaws.com",
	})
	rec := test.patched(create_key(identity, "bob"), {"userAgent": "signin.amazonaws.com"})
	test.one(rule.alert).severity == "CRITICAL" with input as rec
}

test_alert_cross_account_caller_is_critical if {
	identity := test.patched(test.iam_user("ops"), {"arn": "arn:aws:iam::444455556666:user/ops", "accountId": "444455556666"})
	f := test.one(rule.alert) with input as create_key(identity, "ops")
	f.severity == "CRITICAL"
	f.context.escalation_reasons == ["the caller belongs to another account"]
}

# Near misses: a user creating their own (second) key is self-service.

test_no_alert_user_creates_own_key_by_name if {
	count(rule.alert) == 0 with input as create_key(test.iam_user("user1"), "user1")
}

test_no_alert_user_creates_own_second_key_without_user_name if {
	count(rule.alert) == 0 with input as create_key(test.iam_user("alice"), null)
}

test_no_alert_root_creates_its_own_key if {
	rec := test.patched(create_key({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}, null), {"requestParameters": null})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_failed_creation if {
	rec := object.remove(
		test.patched(create_key(test.iam_user("some_iam_user"), "bob"), {"errorCode": "LimitExceededException", "errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2"}),
		["requestParameters", "responseElements"],
	)
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_creation if {
	rec := test.patched(create_key(test.iam_user("alice"), "bob"), {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateAccessKey on resource: user bob because no identity-based policy allows the iam:CreateAccessKey action",
		"requestParameters": null,
		"responseElements": null,
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_creating_a_user if {
	rec := test.patched(create_key(test.iam_user("alice"), "bob"), {"eventName": "CreateUser"})
	count(rule.alert) == 0 with input as rec
}

# IAM Identity Center console sessions record mfaAuthenticated false whatever MFA the
# identity provider enforced: not a reason to escalate.
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

sso_console_create := test.patched(create_key(sso_identity, "bob"), {"userAgent": "AWS Internal", "sessionCredentialFromConsole": "true"})

test_alert_sso_console_session_is_not_escalated if {
	f := test.one(rule.alert) with input as sso_console_create
	f.severity == "HIGH"
	f.context.escalation_reasons == []
	startswith(f.context.mfa_caveat, "the session came from an external identity provider")
	f.context.actor_sso_role_name == "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
	not f.context.actor_revocable_role_name
}

# The near miss: the same console session on an ordinary role, without MFA, is escalated.
test_alert_plain_role_console_without_mfa_is_critical if {
	identity := json.patch(sso_identity, [
		{"op": "replace", "path": "/arn", "value": "arn:aws:sts::111122223333:assumed-role/Admin/alice"},
		{"op": "replace", "path": "/sessionContext/sessionIssuer/arn", "value": "arn:aws:iam::111122223333:role/Admin"},
		{"op": "replace", "path": "/sessionContext/sessionIssuer/userName", "value": "Admin"},
	])
	f := test.one(rule.alert) with input as test.patched(sso_console_create, {"userIdentity": identity})
	f.severity == "CRITICAL"
	f.context.escalation_reasons == ["the console session was not MFA-authenticated"]
	f.context.actor_revocable_role_name == "Admin"
}

# A key created by CloudFormation for a stack's AWS::IAM::AccessKey is stepped down, as the
# tamper rules do.
cfn_identity := {
	"type": "AssumedRole",
	"arn": "arn:aws:sts::111122223333:assumed-role/cfn-deployer/AWSCloudFormation",
	"accountId": "111122223333",
	"accessKeyId": "ASIAEXAMPLECFN000001",
	"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/cfn-deployer", "accountId": "111122223333", "userName": "cfn-deployer"}},
	"invokedBy": "cloudformation.amazonaws.com",
}

test_alert_cloudformation_key_is_stepped_down if {
	rec := test.patched(create_key(cfn_identity, "svc-app"), {"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.context.via_cloudformation == true
	count(f.context.step_down_reasons) == 1
	startswith(f.context.step_down_reasons[0], "CloudFormation made the call on a stack's behalf")
}

test_alert_cloudformation_cross_account_is_escalated_then_stepped_down if {
	identity := json.patch(cfn_identity, [{"op": "replace", "path": "/accountId", "value": "444455556666"}])
	f := test.one(rule.alert) with input as test.patched(create_key(identity, "svc-app"), {"sourceIPAddress": "cloudformation.amazonaws.com"})
	f.severity == "HIGH"
	f.context.escalation_reasons == ["the caller belongs to another account"]
	count(f.context.step_down_reasons) == 1
	f.context.containment_account == "444455556666"
}

# Near miss: the same role without invokedBy (a person or a script using the deploy role).
test_no_step_down_without_cloudformation if {
	identity := object.remove(cfn_identity, ["invokedBy"])
	f := test.one(rule.alert) with input as create_key(identity, "svc-app")
	f.severity == "HIGH"
	not f.context.step_down_reasons
}

# A CreateAccessKey for another user that fails for a reason other than a denial (the
# two-key quota) is an attempt: the caller may create keys for that user.
failed_create(code, user_name) := test.patched(create_key(test.iam_user("alice"), user_name), {
	"errorCode": code,
	"errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2",
	"responseElements": null,
})

test_alert_create_key_for_another_user_at_quota if {
	f := test.one(rule.alert) with input as failed_create("LimitExceeded", "bob")
	f.severity == "MEDIUM"
	f.msg == "alice (IAMUser) from 198.51.100.7 tried to create an access key for IAM user bob; the call failed with LimitExceeded, not a denial, so the caller may create keys for that user."
	f.target == {"user_name": "bob"}
	f.context.attempt_error_code == "LimitExceeded"
	f.context.step_down_reasons == ["the call failed (LimitExceeded): no key was created"]
}

test_alert_create_key_attempt_by_cross_account_caller_is_high if {
	rec := test.patched(failed_create("LimitExceededException", "bob"), {"userIdentity": test.patched(test.iam_user("ops"), {"arn": "arn:aws:iam::444455556666:user/ops", "accountId": "444455556666"})})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

# Near misses: a denial is TH-IAM-007's; a failed call for one's own key is self-service.
test_no_alert_create_key_denied if {
	count(rule.alert) == 0 with input as failed_create("AccessDenied", "bob")
}

test_no_alert_own_key_at_quota if {
	count(rule.alert) == 0 with input as failed_create("LimitExceeded", "alice")
	count(rule.alert) == 0 with input as failed_create("LimitExceeded", null)
}

test_alert_masked_new_key_falls_back_to_listing_keys if {
	rec := create_key(test.iam_user("alice"), "bob")
	f := test.one(rule.alert) with input as json.patch(rec, [{"op": "replace", "path": "/responseElements/accessKey/accessKeyId", "value": "HIDDEN_DUE_TO_SECURITY_REASONS"}])
	f.context.masked_key_user_name == "bob"
	not f.target.access_key_id
}
