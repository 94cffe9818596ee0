package builtin.iam.access_keys_deleted_burst_test

import data.builtin.iam.access_keys_deleted_burst as rule
import data.lib.test

base := test.patched(test.delete_access_key(test.iam_user("mallory"), {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"}), {"sourceIPAddress": "203.0.113.50"})

test_alert_other_users_key_counts if {
	some f in rule.alert with input as base
	f.msg == "mallory (IAMUser) from 203.0.113.50 deleted access key AKIAEXAMPLEBOBKEY001 of IAM user bob."
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.actor_user_name == "mallory"
	f.context.actor_long_term_key_id == "AKIAEXAMPLEMALLORY01"
}

test_alert_role_deleting_user_key if {
	rec := test.patched(base, {"userIdentity": {
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
	rec := test.patched(base, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEMALLORY02"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_own_key_named if {
	rec := test.patched(base, {"requestParameters": {"userName": "mallory", "accessKeyId": "AKIAEXAMPLEMALLORY02"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied if {
	rec := test.patched(base, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:DeleteAccessKey on resource: user bob"})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_deactivation if {
	rec := test.patched(base, {"eventName": "UpdateAccessKey", "requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}})
	count(rule.alert) == 0 with input as rec
}
