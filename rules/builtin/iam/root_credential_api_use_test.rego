package builtin.iam.root_credential_api_use_test

import data.builtin.iam.root_credential_api_use as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

root_console := {
	"type": "Root",
	"principalId": "111122223333",
	"arn": "arn:aws:iam::111122223333:root",
	"accountId": "111122223333",
	"accessKeyId": "ASIAEXAMPLEROOT00001",
	"sessionContext": {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "true"}},
}

# The root user deleting an IAM user's key from the console.
root_delete := {
	"eventVersion": "1.09",
	"userIdentity": root_console,
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "iam.amazonaws.com",
	"eventName": "DeleteAccessKey",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "192.0.2.44",
	"userAgent": "AWS Internal",
	"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"},
	"responseElements": null,
	"requestID": "5e6f7081-92a3-4b4c-85d6-e7f8091a2b3c",
	"eventID": "d6e7f809-1a2b-43c4-95d6-e7f8091a2b3c",
	"readOnly": false,
	"eventType": "AwsApiCall",
	"managementEvent": true,
	"recipientAccountId": "111122223333",
	"sessionCredentialFromConsole": "true",
	"eventCategory": "Management",
}

one(rec) := f if {
	alerts := rule.alert with input as rec
	count(alerts) == 1
	some f in alerts
}

test_alert_root_deletes_a_users_key if {
	f := one(root_delete)
	f.severity == "HIGH"
	f.msg == "root (Root) from 192.0.2.44 called iam:DeleteAccessKey as the root user on IAM user bob."
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.succeeded == true
}

test_alert_root_creates_key_for_a_user if {
	rec := patched(root_delete, {
		"eventName": "CreateAccessKey",
		"requestParameters": {"userName": "tracy"},
		"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLETRACYKEY1", "status": "Active", "userName": "tracy"}},
	})
	one(rec).target == {"user_name": "tracy", "access_key_id": "AKIAEXAMPLETRACYKEY1"}
}

test_alert_root_renames_a_user if {
	rec := patched(root_delete, {"eventName": "UpdateUser", "requestParameters": {"userName": "bob", "newUserName": "robert"}})
	one(rec).target.new_user_name == "robert"
}

test_alert_root_reactivates_its_own_key if {
	rec := patched(root_delete, {"eventName": "UpdateAccessKey", "requestParameters": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active"}})
	f := one(rec)
	f.msg == "root (Root) from 192.0.2.44 called iam:UpdateAccessKey as the root user on the root user itself."
	f.context.acted_on_self == true
}

test_alert_root_access_key_in_use_is_critical if {
	rec := patched(root_delete, {
		"userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEROOTKEY01"},
		"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
		"sessionCredentialFromConsole": "false",
	})
	f := one(rec)
	f.severity == "CRITICAL"
	f.context.escalation_reasons == ["the call was signed with a root access key"]
}

test_alert_root_console_without_mfa_is_critical if {
	rec := json.patch(root_delete, [{
		"op": "replace", "path": "/userIdentity/sessionContext/attributes/mfaAuthenticated",
		"value": "false",
	}])
	one(rec).severity == "CRITICAL"
}

# An SCP in an Organizations member account can deny the root user.
test_alert_root_call_denied_by_scp if {
	rec := patched(root_delete, {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:root is not authorized to perform: iam:DeleteAccessKey on resource: user bob with an explicit deny in a service control policy",
		"requestParameters": null,
	})
	f := one(rec)
	f.msg == "root (Root) from 192.0.2.44 called iam:DeleteAccessKey as the root user on IAM user bob (failed: AccessDenied)."
	f.context.succeeded == false
}

# Near misses.

test_no_alert_root_creates_its_own_key if {
	rec := patched(root_delete, {
		"eventName": "CreateAccessKey",
		"requestParameters": null,
		"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active"}},
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_root_read_only_enumeration if {
	rec := patched(root_delete, {"eventName": "ListAccessKeys", "requestParameters": null, "readOnly": true})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_iam_admin_deletes_a_users_key if {
	rec := patched(root_delete, {"userIdentity": {
		"type": "IAMUser",
		"arn": "arn:aws:iam::111122223333:user/root-admin",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEADMINKEY1",
		"userName": "root-admin",
	}})
	count(rule.alert) == 0 with input as rec
}
