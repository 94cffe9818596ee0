package lib.iam_test

import data.lib.iam
import data.lib.test

# Records follow the CloudTrail record format for IAM
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html).

role_named_bob := {
	"type": "AssumedRole",
	"arn": "arn:aws:sts::111122223333:assumed-role/bob/session",
	"accountId": "111122223333",
	"accessKeyId": "ASIAEXAMPLESESSION01",
	"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/bob", "userName": "bob"}},
}

create_key(identity, params) := test.create_access_key(identity, params)

denied(identity, msg) := test.failed(test.update_access_key(identity, null), "AccessDenied", msg)

test_named_other_user if {
	rec := create_key(test.iam_user("alice"), {"userName": "bob"})
	iam.target_user_name == "bob" with input as rec
	iam.acted_on_other_user with input as rec
	not iam.acted_on_self with input as rec
	iam.target_phrase == "IAM user bob" with input as rec
}

test_named_self if {
	rec := create_key(test.iam_user("alice"), {"userName": "alice"})
	iam.target_user_name == "alice" with input as rec
	iam.acted_on_self with input as rec
	not iam.acted_on_other_user with input as rec
	iam.target_phrase == "their own IAM user alice" with input as rec
}

test_omitted_user_name_means_self if {
	rec := create_key(test.iam_user("alice"), null)
	iam.target_omitted with input as rec
	iam.target_user_name == "alice" with input as rec
	iam.acted_on_self with input as rec
	not iam.acted_on_other_user with input as rec
}

test_empty_user_name_means_self if {
	rec := create_key(test.iam_user("alice"), {"userName": ""})
	iam.target_user_name == "alice" with input as rec
	iam.acted_on_self with input as rec
}

test_jackson_acting_on_jack_is_another_user if {
	rec := create_key(test.iam_user("jackson"), {"userName": "jack"})
	iam.acted_on_other_user with input as rec
	not iam.acted_on_self with input as rec
}

test_jack_acting_on_jackson_is_another_user if {
	rec := create_key(test.iam_user("jack"), {"userName": "jackson"})
	iam.acted_on_other_user with input as rec
}

test_case_differences_are_not_folded if {
	rec := create_key(test.iam_user("jack"), {"userName": "Jack"})
	iam.acted_on_other_user with input as rec
}

# Fixture quirk: userIdentity.userName "user1" but the ARN says jackson. The ARN wins, so
# jackson naming user1 is another user and jackson naming jackson is itself.
test_arn_wins_over_mismatched_user_name if {
	identity := object.union(test.iam_user("jackson"), {"userName": "user1"})
	iam.acted_on_other_user with input as create_key(identity, {"userName": "user1"})
	iam.acted_on_self with input as create_key(identity, {"userName": "jackson"})
}

test_path_in_caller_arn_is_ignored if {
	identity := object.union(test.iam_user("alice"), {"arn": "arn:aws:iam::111122223333:user/ops/alice"})
	iam.acted_on_self with input as create_key(identity, {"userName": "alice"})
}

test_root_creating_its_own_key if {
	rec := create_key(test.root_console, null)
	iam.acted_on_self with input as rec
	iam.acted_on_root_self with input as rec
	not iam.target_user_name with input as rec
	not iam.acted_on_other_user with input as rec
	iam.access_key_id == "AKIAEXAMPLENEWKEY001" with input as rec
	iam.target_phrase == "the root user itself" with input as rec
	iam.target == {"access_key_id": "AKIAEXAMPLENEWKEY001"} with input as rec
}

test_root_creating_a_key_for_a_user if {
	rec := create_key(test.root_console, {"userName": "tracy"})
	iam.acted_on_other_user with input as rec
	not iam.acted_on_root_self with input as rec
	iam.target_user_name == "tracy" with input as rec
}

test_role_named_like_the_user_is_another_identity if {
	rec := create_key(role_named_bob, {"userName": "bob"})
	iam.acted_on_other_user with input as rec
	not iam.acted_on_self with input as rec
}

test_same_name_in_another_account_is_another_user if {
	identity := object.union(test.iam_user("jack"), {"arn": "arn:aws:iam::444455556666:user/jack", "accountId": "444455556666"})
	rec := create_key(identity, {"userName": "jack"})
	iam.acted_on_other_user with input as rec
}

test_denied_target_from_error_message_name_form if {
	rec := denied(test.iam_user("alice"), "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAccessKey on resource: user bob because no identity-based policy allows the iam:UpdateAccessKey action")
	iam.error_resource == "user bob" with input as rec
	iam.target_user_name == "bob" with input as rec
	iam.acted_on_other_user with input as rec
	not iam.target_omitted with input as rec
}

test_denied_target_from_error_message_arn_form_with_path if {
	rec := denied(test.iam_user("alice"), "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:DeleteAccessKey on resource: arn:aws:iam::111122223333:user/division/team/bob with an explicit deny in a service control policy")
	iam.target_user_name == "bob" with input as rec
	iam.error_target_user_arn == "arn:aws:iam::111122223333:user/division/team/bob" with input as rec
	iam.acted_on_other_user with input as rec
}

test_denied_on_own_user_is_self if {
	by_name := denied(test.iam_user("alice"), "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAccessKey on resource: user alice because no identity-based policy allows the iam:UpdateAccessKey action")
	iam.acted_on_self with input as by_name
	by_arn := denied(test.iam_user("alice"), "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAccessKey on resource: arn:aws:iam::111122223333:user/alice")
	iam.acted_on_self with input as by_arn
}

test_denied_jackson_on_jack_from_error_message if {
	rec := denied(test.iam_user("jackson"), "User: arn:aws:iam::111122223333:user/jackson is not authorized to perform: iam:CreateAccessKey on resource: user jack because no identity-based policy allows the iam:CreateAccessKey action")
	iam.target_user_name == "jack" with input as rec
	iam.acted_on_other_user with input as rec
}

test_denied_assumed_role_caller if {
	rec := denied(role_named_bob, "User: arn:aws:sts::111122223333:assumed-role/bob/session is not authorized to perform: iam:UpdateAccessKey on resource: user bob because no identity-based policy allows the iam:UpdateAccessKey action")
	iam.target_user_name == "bob" with input as rec
	iam.acted_on_other_user with input as rec
}

# Request parameters win over the error message.
test_requested_user_wins_over_error_message if {
	rec := object.union(denied(test.iam_user("alice"), "... on resource: user carol"), {"requestParameters": {"userName": "bob"}})
	iam.target_user_name == "bob" with input as rec
}

test_failed_call_without_parameters_or_parseable_message_has_unknown_target if {
	rec := {
		"userIdentity": test.iam_user("alice"),
		"eventName": "CreateAccessKey",
		"errorCode": "LimitExceededException",
		"errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2",
		"recipientAccountId": "111122223333",
	}
	not iam.target_user_name with input as rec
	not iam.acted_on_self with input as rec
	not iam.acted_on_other_user with input as rec
	iam.target_phrase == "an unknown IAM user" with input as rec
}

test_failed_call_with_parameters_but_no_user_name_is_self if {
	rec := {
		"userIdentity": test.iam_user("alice"),
		"eventName": "UpdateAccessKey",
		"errorCode": "NoSuchEntityException",
		"requestParameters": {"accessKeyId": "AKIAEXAMPLEOLDKEY001", "status": "Inactive"},
		"recipientAccountId": "111122223333",
	}
	iam.target_omitted with input as rec
	iam.acted_on_self with input as rec
	iam.target_user_name == "alice" with input as rec
}

test_error_message_parsing_ignores_success if {
	rec := object.union(create_key(test.iam_user("alice"), {"userName": "bob"}), {"errorMessage": "on resource: user carol"})
	not iam.error_target_user_name with input as rec
}

test_user_name_from_resource if {
	iam.user_name_from_resource("user bob") == "bob"
	iam.user_name_from_resource("user bob.smith@example.com") == "bob.smith@example.com"
	iam.user_name_from_resource("arn:aws:iam::111122223333:user/bob") == "bob"
	iam.user_name_from_resource("arn:aws:iam::111122223333:user/a/b/bob") == "bob"
	not iam.user_name_from_resource("arn:aws:iam::111122223333:role/bob")
	not iam.user_name_from_resource("user ")
}

test_error_resource_stops_at_the_name if {
	iam.error_resource == "user bob" with input as {"errorCode": "AccessDenied", "errorMessage": "x on resource: user bob because y"}
	iam.error_resource == "user bob" with input as {"errorCode": "AccessDenied", "errorMessage": "x on resource: user bob"}
}

test_update_user_target if {
	rec := {
		"userIdentity": test.iam_user("alice"),
		"eventName": "UpdateUser",
		"requestParameters": {"userName": "bob", "newUserName": "robert", "newPath": "/contractors/"},
		"recipientAccountId": "111122223333",
	}
	iam.target == {"user_name": "bob", "new_user_name": "robert", "new_path": "/contractors/"} with input as rec
}

test_update_access_key_target if {
	rec := {
		"userIdentity": test.iam_user("alice"),
		"eventName": "UpdateAccessKey",
		"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"},
		"recipientAccountId": "111122223333",
	}
	iam.target == {"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOBKEY001", "status": "Active"} with input as rec
	iam.key_phrase == "access key AKIAEXAMPLEBOBKEY001" with input as rec
}

test_key_phrase_without_key if {
	iam.key_phrase == "an access key" with input as {}
}

test_assumed_role_omitting_user_has_no_target_user if {
	rec := create_key(role_named_bob, null)
	not iam.target_user_name with input as rec
	not iam.acted_on_other_user with input as rec
	iam.target_phrase == "an unknown IAM user" with input as rec
}

test_root_created_own_access_key if {
	iam.root_created_own_access_key with input as create_key(test.root_console, null)
	not iam.root_created_own_access_key with input as create_key(test.root_console, {"userName": "tracy"})
	not iam.root_created_own_access_key with input as create_key(test.iam_user("alice"), null)
	not iam.root_created_own_access_key with input as object.union(create_key(test.root_console, null), {"errorCode": "LimitExceededException"})
	not iam.root_created_own_access_key with input as object.union(create_key(test.root_console, null), {"eventName": "UpdateAccessKey"})
}
