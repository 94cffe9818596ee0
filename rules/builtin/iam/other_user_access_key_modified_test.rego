package builtin.iam.other_user_access_key_modified_test

import data.builtin.iam.other_user_access_key_modified as rule
import data.lib.test

# A DeleteAccessKey record as CloudTrail writes it (IAM user, console session with MFA).
delete_key := test.patched(
	test.delete_access_key(
		object.union(test.console_session(test.iam_user("alice"), "true"), {"invokedBy": "signin.amazonaws.com"}),
		{"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"},
	),
	{"userAgent": "signin.amazonaws.com"},
)

deactivate_key := test.patched(delete_key, {
	"eventName": "UpdateAccessKey",
	"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"},
})

test_alert_deleting_another_users_key if {
	f := test.one(rule.alert) with input as delete_key
	f.severity == "MEDIUM"
	f.msg == "alice (IAMUser) from 198.51.100.7 deleted access key AKIAEXAMPLEBOBKEY001 of IAM user bob."
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.acted_on_self == false
	not f.context.deactivated_key_id
}

test_alert_deactivating_another_users_key if {
	f := test.one(rule.alert) with input as deactivate_key
	f.severity == "MEDIUM"
	f.msg == "alice (IAMUser) from 198.51.100.7 deactivated access key AKIAEXAMPLEBOBKEY001 of IAM user bob."
	f.target.status == "Inactive"
	f.context.deactivated_key_id == "AKIAEXAMPLEBOBKEY001"
}

test_alert_jackson_deleting_jacks_key if {
	rec := test.patched(delete_key, {
		"userIdentity": test.iam_user("jackson"),
		"requestParameters": {"userName": "jack", "accessKeyId": "AKIAEXAMPLEJACKKEY01"},
	})
	test.one(rule.alert).target.user_name == "jack" with input as rec
}

test_alert_assumed_role_deleting_a_users_key if {
	rec := test.patched(delete_key, {
		"userIdentity": {
			"type": "AssumedRole",
			"arn": "arn:aws:sts::111122223333:assumed-role/bob/cleanup",
			"accountId": "111122223333",
			"accessKeyId": "ASIAEXAMPLESESSION01",
			"sessionContext": {
				"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/bob", "accountId": "111122223333", "userName": "bob"},
				"attributes": {"mfaAuthenticated": "false"},
			},
		},
		"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	})
	f := test.one(rule.alert) with input as rec
	f.context.actor_role_name == "bob"
	f.severity == "MEDIUM"
}

test_alert_console_without_mfa_is_high if {
	rec := json.patch(delete_key, [{
		"op": "replace", "path": "/userIdentity/sessionContext/attributes/mfaAuthenticated",
		"value": "false",
	}])
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.context.escalation_reasons == ["the console session was not MFA-authenticated"]
}

test_alert_root_deleting_a_users_key if {
	rec := test.patched(delete_key, {"userIdentity": {
		"type": "Root",
		"arn": "arn:aws:iam::111122223333:root",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLEROOT00001",
		"sessionContext": {"attributes": {"mfaAuthenticated": "true"}},
	}})
	contains(test.one(rule.alert).msg, "root (Root) from 198.51.100.7 deleted") with input as rec
}

# Near misses: self-service rotation stays quiet.

test_no_alert_user_deleting_own_key_without_user_name if {
	rec := test.patched(delete_key, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEOLDKEY001"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_user_deleting_own_key_by_name if {
	rec := test.patched(delete_key, {"requestParameters": {"userName": "alice", "accessKeyId": "AKIAEXAMPLEOLDKEY001"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_user_deactivating_own_key if {
	rec := test.patched(deactivate_key, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEOLDKEY001", "status": "Inactive"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_reactivating_another_users_key if {
	rec := test.patched(deactivate_key, {"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_failed_delete if {
	rec := test.patched(delete_key, {"errorCode": "NoSuchEntityException", "errorMessage": "The Access Key with id AKIAEXAMPLEBOBKEY001 cannot be found."})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_delete if {
	rec := test.patched(delete_key, {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteAccessKey on resource: user bob because no identity-based policy allows the iam:DeleteAccessKey action",
		"requestParameters": null,
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_listing_keys if {
	count(rule.alert) == 0 with input as test.patched(delete_key, {"eventName": "ListAccessKeys", "readOnly": true})
}

# A deactivation whose record does not carry the key still alerts, without deactivated_key_id.
test_alert_deactivating_an_unnamed_key_has_no_deactivated_key_id if {
	f := test.one(rule.alert) with input as test.patched(deactivate_key, {"requestParameters": {"userName": "bob", "status": "Inactive"}})
	f.msg == "alice (IAMUser) from 198.51.100.7 deactivated an access key of IAM user bob."
	not "deactivated_key_id" in object.keys(f.context)
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

test_alert_sso_console_deletion_is_not_escalated if {
	f := test.one(rule.alert) with input as test.console(delete_key, sso_identity)
	f.severity == "MEDIUM"
	f.context.escalation_reasons == []
	f.context.actor_sso_role_name == "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
}

test_alert_plain_role_console_deletion_without_mfa_is_high if {
	f := test.one(rule.alert) with input as test.console(delete_key, plain_role_identity)
	f.severity == "HIGH"
	f.context.escalation_reasons == ["the console session was not MFA-authenticated"]
}

test_alert_cloudformation_deletion_is_stepped_down if {
	f := test.one(rule.alert) with input as test.patched(delete_key, {"userIdentity": cfn_identity, "sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	f.severity == "LOW"
	f.context.via_cloudformation == true
	count(f.context.step_down_reasons) == 1
}

test_no_step_down_for_the_deploy_role_without_cloudformation if {
	f := test.one(rule.alert) with input as test.patched(deactivate_key, {"userIdentity": object.remove(cfn_identity, ["invokedBy"]), "userAgent": "aws-cli/2.17.20"})
	f.severity == "MEDIUM"
	not f.context.step_down_reasons
}
