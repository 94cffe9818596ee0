package builtin.iam.root_credential_api_use_test

import data.builtin.iam.root_credential_api_use as rule
import data.lib.test

# The root user deleting an IAM user's key from the console.
root_delete := test.patched(
	test.console(test.delete_access_key(test.root_console, {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"}), test.root_console),
	{"sourceIPAddress": "192.0.2.44"},
)

test_alert_root_deletes_a_users_key if {
	f := test.one(rule.alert) with input as root_delete
	f.severity == "HIGH"
	f.msg == "root (Root) from 192.0.2.44 called iam:DeleteAccessKey as the root user on IAM user bob."
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.succeeded == true
}

test_alert_root_creates_key_for_a_user if {
	rec := test.patched(root_delete, {
		"eventName": "CreateAccessKey",
		"requestParameters": {"userName": "tracy"},
		"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLETRACYKEY1", "status": "Active", "userName": "tracy"}},
	})
	test.one(rule.alert).target == {"user_name": "tracy", "access_key_id": "AKIAEXAMPLETRACYKEY1"} with input as rec
}

test_alert_root_renames_a_user if {
	rec := test.patched(root_delete, {"eventName": "UpdateUser", "requestParameters": {"userName": "bob", "newUserName": "robert"}})
	test.one(rule.alert).target.new_user_name == "robert" with input as rec
}

test_alert_root_reactivates_its_own_key if {
	rec := test.patched(root_delete, {"eventName": "UpdateAccessKey", "requestParameters": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active"}})
	f := test.one(rule.alert) with input as rec
	f.msg == "root (Root) from 192.0.2.44 called iam:UpdateAccessKey as the root user on the root user itself."
	f.context.acted_on_self == true
}

test_alert_root_access_key_in_use_is_critical if {
	rec := test.patched(root_delete, {
		"userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEROOTKEY01"},
		"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
		"sessionCredentialFromConsole": "false",
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "CRITICAL"
	f.context.escalation_reasons == ["the call was signed with a root access key"]
}

test_alert_root_console_without_mfa_is_critical if {
	rec := json.patch(root_delete, [{
		"op": "replace", "path": "/userIdentity/sessionContext/attributes/mfaAuthenticated",
		"value": "false",
	}])
	test.one(rule.alert).severity == "CRITICAL" with input as rec
}

# An SCP in an Organizations member account can deny the root user.
test_alert_root_call_denied_by_scp if {
	rec := test.patched(root_delete, {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:root is not authorized to perform: iam:DeleteAccessKey on resource: user bob with an explicit deny in a service control policy",
		"requestParameters": null,
	})
	f := test.one(rule.alert) with input as rec
	f.msg == "root (Root) from 192.0.2.44 called iam:DeleteAccessKey as the root user on IAM user bob (failed: AccessDenied)."
	f.context.succeeded == false
}

# Near misses.

test_no_alert_root_creates_its_own_key if {
	rec := test.patched(root_delete, {
		"eventName": "CreateAccessKey",
		"requestParameters": null,
		"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active"}},
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_root_read_only_enumeration if {
	rec := test.patched(root_delete, {"eventName": "ListAccessKeys", "requestParameters": null, "readOnly": true})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_iam_admin_deletes_a_users_key if {
	rec := test.patched(root_delete, {"userIdentity": {
		"type": "IAMUser",
		"arn": "arn:aws:iam::111122223333:user/root-admin",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEADMINKEY1",
		"userName": "root-admin",
	}})
	count(rule.alert) == 0 with input as rec
}
