package builtin.iam.credential_api_denied_test

import data.builtin.iam.credential_api_denied as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

# A denied UpdateAccessKey as CloudTrail writes it: no requestParameters, the target only in
# errorMessage.
denied := {
	"eventVersion": "1.09",
	"userIdentity": {
		"type": "IAMUser",
		"principalId": "AIDAEXAMPLEMALLORY01",
		"arn": "arn:aws:iam::111122223333:user/build/mallory",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEMALLORY01",
		"userName": "mallory",
	},
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "iam.amazonaws.com",
	"eventName": "UpdateAccessKey",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "203.0.113.66",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"errorCode": "AccessDenied",
	"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:UpdateAccessKey on resource: user bob because no identity-based policy allows the iam:UpdateAccessKey action",
	"requestParameters": null,
	"responseElements": null,
	"requestID": "6f708192-a3b4-4c5d-86e7-f8091a2b3c4d",
	"eventID": "e7f8091a-2b3c-44d5-a6e7-f8091a2b3c4d",
	"readOnly": false,
	"eventType": "AwsApiCall",
	"managementEvent": true,
	"recipientAccountId": "111122223333",
	"eventCategory": "Management",
}

one(rec) := f if {
	alerts := rule.alert with input as rec
	count(alerts) == 1
	some f in alerts
}

test_alert_denied_on_another_user_from_error_message if {
	f := one(denied)
	f.severity == "MEDIUM"
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied iam:UpdateAccessKey on IAM user bob (AccessDenied)."
	f.target == {"user_name": "bob"}
	f.context.target_from_error_message == true
	f.context.acted_on_self == false
}

test_alert_denied_with_arn_resource_and_explicit_deny if {
	rec := patched(denied, {
		"eventName": "CreateAccessKey",
		"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::111122223333:user/admins/root-breakglass with an explicit deny in an identity-based policy",
	})
	f := one(rec)
	f.target.user_name == "root-breakglass"
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied iam:CreateAccessKey on IAM user root-breakglass (AccessDenied)."
}

test_alert_denied_with_request_parameters if {
	rec := patched(denied, {
		"eventName": "DeleteAccessKey",
		"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"},
		"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:DeleteAccessKey on resource: user bob",
	})
	f := one(rec)
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.target_from_error_message == false
}

test_alert_denied_rename_by_assumed_role if {
	rec := patched(denied, {
		"eventName": "UpdateUser",
		"userIdentity": {
			"type": "AssumedRole",
			"arn": "arn:aws:sts::111122223333:assumed-role/ec2-app/i-0abc123def4567890",
			"accountId": "111122223333",
			"accessKeyId": "ASIAEXAMPLEINSTANCE1",
			"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/ec2-app", "accountId": "111122223333", "userName": "ec2-app"}},
		},
		"errorMessage": "User: arn:aws:sts::111122223333:assumed-role/ec2-app/i-0abc123def4567890 is not authorized to perform: iam:UpdateUser on resource: user admin because no identity-based policy allows the iam:UpdateUser action",
	})
	f := one(rec)
	f.severity == "MEDIUM"
	f.msg == "ec2-app/i-0abc123def4567890 (AssumedRole) from 203.0.113.66 was denied iam:UpdateUser on IAM user admin (AccessDenied)."
	f.context.actor_role_name == "ec2-app"
}

test_alert_denied_on_own_user_is_low if {
	rec := patched(denied, {"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:UpdateAccessKey on resource: user mallory because no identity-based policy allows the iam:UpdateAccessKey action"})
	f := one(rec)
	f.severity == "LOW"
	f.context.acted_on_self == true
}

test_alert_denied_cross_account_is_high if {
	rec := patched(denied, {"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::444455556666:assumed-role/Scanner/probe",
		"accountId": "444455556666",
		"accessKeyId": "ASIAEXAMPLEXACCOUNT1",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::444455556666:role/Scanner", "accountId": "444455556666", "userName": "Scanner"}},
	}})
	one(rec).severity == "HIGH"
}

test_alert_unparseable_message_keeps_unknown_target if {
	rec := patched(denied, {"errorCode": "AccessDeniedException", "errorMessage": "Access denied"})
	f := one(rec)
	f.target == {}
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied iam:UpdateAccessKey on an unknown IAM user (AccessDeniedException)."
}

# Near misses.

test_no_alert_other_failures if {
	count(rule.alert) == 0 with input as patched(denied, {"errorCode": "NoSuchEntityException", "errorMessage": "The user with name bob cannot be found."})
	count(rule.alert) == 0 with input as patched(denied, {"errorCode": "LimitExceededException", "errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2"})
}

test_no_alert_successful_call if {
	rec := object.remove(patched(denied, {"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}}), ["errorCode", "errorMessage"])
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_read if {
	rec := patched(denied, {"eventName": "GetRole", "errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111122223333:role/FooBar"})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_root if {
	rec := patched(denied, {"userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLEROOT00001"}})
	count(rule.alert) == 0 with input as rec
}
