package builtin.iam.credential_api_denied_test

import data.builtin.iam.credential_api_denied as rule
import data.lib.test

# A denied UpdateAccessKey as CloudTrail writes it: no requestParameters, the target only in
# errorMessage.
denied := test.patched(
	test.failed(
		test.update_access_key(test.patched(test.iam_user("mallory"), {"arn": "arn:aws:iam::111122223333:user/build/mallory"}), null),
		"AccessDenied",
		"User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:UpdateAccessKey on resource: user bob because no identity-based policy allows the iam:UpdateAccessKey action",
	),
	{"sourceIPAddress": "203.0.113.66"},
)

test_alert_denied_on_another_user_from_error_message if {
	f := test.one(rule.alert) with input as denied
	f.severity == "MEDIUM"
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied iam:UpdateAccessKey on IAM user bob (AccessDenied)."
	f.target == {"user_name": "bob"}
	f.context.target_from_error_message == true
	f.context.acted_on_self == false
}

test_alert_denied_with_arn_resource_and_explicit_deny if {
	rec := test.patched(denied, {
		"eventName": "CreateAccessKey",
		"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:CreateAccessKey on resource: arn:aws:iam::111122223333:user/admins/root-breakglass with an explicit deny in an identity-based policy",
	})
	f := test.one(rule.alert) with input as rec
	f.target.user_name == "root-breakglass"
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied iam:CreateAccessKey on IAM user root-breakglass (AccessDenied)."
}

test_alert_denied_with_request_parameters if {
	rec := test.patched(denied, {
		"eventName": "DeleteAccessKey",
		"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"},
		"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:DeleteAccessKey on resource: user bob",
	})
	f := test.one(rule.alert) with input as rec
	f.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001"}
	f.context.target_from_error_message == false
}

test_alert_denied_rename_by_assumed_role if {
	rec := test.patched(denied, {
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
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.msg == "ec2-app/i-0abc123def4567890 (AssumedRole) from 203.0.113.66 was denied iam:UpdateUser on IAM user admin (AccessDenied)."
	f.context.actor_role_name == "ec2-app"
}

test_alert_denied_on_own_user_is_low if {
	rec := test.patched(denied, {"errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:UpdateAccessKey on resource: user mallory because no identity-based policy allows the iam:UpdateAccessKey action"})
	f := test.one(rule.alert) with input as rec
	f.severity == "LOW"
	f.context.acted_on_self == true
}

test_alert_denied_cross_account_is_high if {
	rec := test.patched(denied, {"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::444455556666:assumed-role/Scanner/probe",
		"accountId": "444455556666",
		"accessKeyId": "ASIAEXAMPLEXACCOUNT1",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::444455556666:role/Scanner", "accountId": "444455556666", "userName": "Scanner"}},
	}})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

test_alert_unparseable_message_keeps_unknown_target if {
	rec := test.patched(denied, {"errorCode": "AccessDeniedException", "errorMessage": "Access denied"})
	f := test.one(rule.alert) with input as rec
	f.target == {}
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied iam:UpdateAccessKey on an unknown IAM user (AccessDeniedException)."
}

# Near misses.

test_no_alert_other_failures if {
	count(rule.alert) == 0 with input as test.patched(denied, {"errorCode": "NoSuchEntityException", "errorMessage": "The user with name bob cannot be found."})
	count(rule.alert) == 0 with input as test.patched(denied, {"errorCode": "LimitExceededException", "errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2"})
}

test_no_alert_successful_call if {
	rec := object.remove(test.patched(denied, {"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}}), ["errorCode", "errorMessage"])
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_read if {
	rec := test.patched(denied, {"eventName": "GetRole", "errorMessage": "User: arn:aws:iam::111122223333:user/build/mallory is not authorized to perform: iam:GetRole on resource: arn:aws:iam::111122223333:role/FooBar"})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_denied_root if {
	rec := test.patched(denied, {"userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLEROOT00001"}})
	count(rule.alert) == 0 with input as rec
}
