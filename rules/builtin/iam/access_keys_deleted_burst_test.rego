package builtin.iam.access_keys_deleted_burst_test

import data.builtin.iam.access_keys_deleted_burst as rule

patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

base := {
	"eventVersion": "1.09",
	"userIdentity": {
		"type": "IAMUser",
		"principalId": "AIDAEXAMPLEMALLORY01",
		"arn": "arn:aws:iam::111122223333:user/mallory",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEMALLORY01",
		"userName": "mallory",
	},
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "iam.amazonaws.com",
	"eventName": "DeleteAccessKey",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "203.0.113.50",
	"userAgent": "aws-cli/1.45.11",
	"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"},
	"responseElements": null,
	"eventID": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
	"readOnly": false,
	"eventType": "AwsApiCall",
	"recipientAccountId": "111122223333",
}

test_alert_other_users_key_counts if {
	some f in rule.alert with input as base
	f.msg == "mallory (IAMUser) from 203.0.113.50 deleted access key AKIAEXAMPLEBOBKEY001 of IAM user bob."
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.actor_user_name == "mallory"
	f.context.actor_long_term_key_id == "AKIAEXAMPLEMALLORY01"
}

test_alert_role_deleting_user_key if {
	rec := patched(base, {"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::111122223333:assumed-role/Ops/carol",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLESESSION01",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Ops", "userName": "Ops"}},
	}})
	some f in rule.alert with input as rec
	f.context.actor_role_name == "Ops"
}

# Deleting one's own old key after a rotation is not counted.
test_no_alert_own_key if {
	rec := patched(base, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEMALLORY02"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_own_key_named if {
	rec := patched(base, {"requestParameters": {"userName": "mallory", "accessKeyId": "AKIAEXAMPLEMALLORY02"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied if {
	rec := patched(base, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:DeleteAccessKey on resource: user bob"})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_deactivation if {
	rec := patched(base, {"eventName": "UpdateAccessKey", "requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}})
	count(rule.alert) == 0 with input as rec
}
