package builtin.iam.access_key_created_for_other_user_test

import data.builtin.iam.access_key_created_for_other_user as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

user(name) := {
	"type": "IAMUser",
	"principalId": "AIDAEXAMPLE000000001",
	"arn": sprintf("arn:aws:iam::111122223333:user/%s", [name]),
	"accountId": "111122223333",
	"accessKeyId": "AKIAEXAMPLE000000001",
	"userName": name,
}

# A CreateAccessKey record as CloudTrail writes it (IAM user, CLI, long-term key).
create_key(identity, user_name) := {
	"eventVersion": "1.09",
	"userIdentity": identity,
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "iam.amazonaws.com",
	"eventName": "CreateAccessKey",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "198.51.100.7",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"requestParameters": _params(user_name),
	"responseElements": {"accessKey": object.union(
		{
			"accessKeyId": "AKIAEXAMPLENEWKEY001",
			"status": "Active",
			"createDate": "Mar 1, 2026 10:30:00 AM",
		},
		_params(user_name),
	)},
	"requestID": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
	"eventID": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
	"readOnly": false,
	"eventType": "AwsApiCall",
	"managementEvent": true,
	"recipientAccountId": "111122223333",
	"eventCategory": "Management",
}

_params(user_name) := {"userName": user_name} if user_name != null

_params(null) := {}

one(rec) := f if {
	alerts := rule.alert with input as rec
	count(alerts) == 1
	some f in alerts
}

test_alert_user_creates_key_for_another_user if {
	f := one(create_key(user("user1"), "user2"))
	f.severity == "HIGH"
	f.msg == "user1 (IAMUser) from 198.51.100.7 created access key AKIAEXAMPLENEWKEY001 for IAM user user2."
	f.target == {"user_name": "user2", "access_key_id": "AKIAEXAMPLENEWKEY001"}
	f.context.caller_is_root == false
}

test_alert_jackson_creates_key_for_jack if {
	one(create_key(user("jackson"), "jack")).target.user_name == "jack"
}

test_alert_jack_creates_key_for_jackson if {
	one(create_key(user("jack"), "jackson")).target.user_name == "jackson"
}

# Peer fixture quirk: the ARN says jackson, userIdentity.userName says user1. The ARN wins.
test_alert_mismatched_user_name_does_not_hide_another_user if {
	identity := patched(user("jackson"), {"userName": "user1"})
	one(create_key(identity, "user1")).target.user_name == "user1"
}

test_alert_root_creates_key_for_a_user if {
	rec := create_key({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "principalId": "111122223333"}, "tracy")
	f := one(rec)
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
	f := one(rec)
	f.severity == "HIGH"
	f.context.actor_role_name == "Deployer"
}

test_alert_console_without_mfa_is_critical if {
	identity := object.union(user("alice"), {
		"accessKeyId": "ASIAEXAMPLECONSOLE01",
		"sessionContext": {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"}},
		"invokedBy": "signin.amazonaws.com",
	})
	rec := patched(create_key(identity, "bob"), {"userAgent": "signin.amazonaws.com"})
	one(rec).severity == "CRITICAL"
}

test_alert_cross_account_caller_is_critical if {
	identity := patched(user("ops"), {"arn": "arn:aws:iam::444455556666:user/ops", "accountId": "444455556666"})
	f := one(create_key(identity, "ops"))
	f.severity == "CRITICAL"
	f.context.escalation_reasons == ["the caller belongs to another account"]
}

# Near misses: a user creating their own (second) key is self-service.

test_no_alert_user_creates_own_key_by_name if {
	count(rule.alert) == 0 with input as create_key(user("user1"), "user1")
}

test_no_alert_user_creates_own_second_key_without_user_name if {
	count(rule.alert) == 0 with input as create_key(user("alice"), null)
}

test_no_alert_root_creates_its_own_key if {
	rec := patched(create_key({"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"}, null), {"requestParameters": null})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_failed_creation if {
	rec := object.remove(
		patched(create_key(user("some_iam_user"), "bob"), {"errorCode": "LimitExceededException", "errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2"}),
		["requestParameters", "responseElements"],
	)
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_creation if {
	rec := patched(create_key(user("alice"), "bob"), {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateAccessKey on resource: user bob because no identity-based policy allows the iam:CreateAccessKey action",
		"requestParameters": null,
		"responseElements": null,
	})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_creating_a_user if {
	rec := patched(create_key(user("alice"), "bob"), {"eventName": "CreateUser"})
	count(rule.alert) == 0 with input as rec
}
