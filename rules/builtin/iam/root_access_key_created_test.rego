package builtin.iam.root_access_key_created_test

import data.builtin.iam.root_access_key_created as rule
import data.lib.test

# Root creating its own key from the console: requestParameters is null and the response
# names no user.
root_own_key := test.patched(test.console(test.create_access_key(test.root_console, null), test.root_console), {
	"sourceIPAddress": "192.0.2.44",
	"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active", "createDate": "Mar 1, 2026 10:30:00 AM"}},
})

test_alert_root_creates_its_own_key if {
	f := test.one(rule.alert) with input as root_own_key
	not "severity" in object.keys(f)
	f.msg == "root (Root) from 192.0.2.44 created access key AKIAEXAMPLEROOTKEY01 for the root user."
	f.target == {"access_key_id": "AKIAEXAMPLEROOTKEY01"}
	f.context.root_access_key_id == "AKIAEXAMPLEROOTKEY01"
	f.context.mfa_authenticated == true
}

# Some records name the root user "Root" in the response; requestParameters is still null.
test_alert_root_own_key_with_user_name_in_response if {
	rec := test.patched(root_own_key, {"responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLEROOTKEY01", "status": "Active", "userName": "Root"}}})
	test.one(rule.alert).target.access_key_id == "AKIAEXAMPLEROOTKEY01" with input as rec
}

# Root using its existing access key (no sessionContext) to create another.
test_alert_root_with_access_key_creates_another if {
	rec := test.patched(root_own_key, {
		"userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEROOTOLD01"},
		"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
		"sessionCredentialFromConsole": "false",
	})
	f := test.one(rule.alert) with input as rec
	f.context.actor_long_term_key_id == "AKIAEXAMPLEROOTOLD01"
}

test_no_alert_root_creates_key_for_an_iam_user if {
	rec := test.patched(root_own_key, {"requestParameters": {"userName": "example-user"}})
	count(rule.alert) == 0 with input as rec
}

# An IAM user literally named "root" creating its own key is not the root user.
test_no_alert_iam_user_named_root if {
	rec := test.patched(root_own_key, {"userIdentity": {
		"type": "IAMUser",
		"arn": "arn:aws:iam::111122223333:user/root",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEUSERROOT1",
		"userName": "root",
	}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_root_key_creation_failed if {
	rec := object.remove(test.patched(root_own_key, {"errorCode": "LimitExceededException", "errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2"}), ["responseElements"])
	count(rule.alert) == 0 with input as rec
}

test_no_alert_root_lists_keys if {
	rec := object.remove(test.patched(root_own_key, {"eventName": "ListAccessKeys", "readOnly": true}), ["responseElements"])
	count(rule.alert) == 0 with input as rec
}

# A response without the new key still alerts, without root_access_key_id.
test_alert_root_own_key_without_key_id_has_no_root_access_key_id if {
	f := test.one(rule.alert) with input as test.patched(root_own_key, {"responseElements": null})
	f.msg == "root (Root) from 192.0.2.44 created an access key for the root user."
	f.context == object.union(f.context, {"acted_on_self": true})
	not "root_access_key_id" in object.keys(f.context)
}
