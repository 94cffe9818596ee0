package lib.cloudtrail_test

import data.lib.arn
import data.lib.cloudtrail
import data.lib.test

# Records below follow the CloudTrail userIdentity element documentation
# (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).

iam_user := test.iam_call("UpdateAccessKey", test.patched(test.iam_user("alice"), {"arn": "arn:aws:iam::111122223333:user/ops/alice"}), {})

assumed_role := test.patched(
	test.console(
		test.iam_call("UpdateAccessKey", {}, {}),
		test.patched(test.assumed_role("Admin", "alice@example.com"), {"sessionContext": {
			"sessionIssuer": {
				"type": "Role",
				"principalId": "AROAEXAMPLEADMIN0001",
				"arn": "arn:aws:iam::111122223333:role/platform/Admin",
				"accountId": "111122223333",
				"userName": "Admin",
			},
			"webIdFederationData": {},
			"attributes": {"creationDate": "2026-03-01T09:00:00Z", "mfaAuthenticated": "false"},
		}}),
	),
	{"sourceIPAddress": "203.0.113.9"},
)

root_console := {
	"userIdentity": {
		"type": "Root",
		"principalId": "111122223333",
		"arn": "arn:aws:iam::111122223333:root",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLEROOT00001",
		"sessionContext": {"attributes": {"creationDate": "2026-03-01T09:00:00Z", "mfaAuthenticated": "true"}},
	},
	"sourceIPAddress": "192.0.2.44",
	"userAgent": "signin.amazonaws.com",
	"recipientAccountId": "111122223333",
}

federated := {
	"userIdentity": {
		"type": "FederatedUser",
		"principalId": "111122223333:build-bot",
		"arn": "arn:aws:sts::111122223333:federated-user/build-bot",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLEFEDERATE1",
		"sessionContext": {
			"sessionIssuer": {
				"type": "IAMUser",
				"principalId": "AIDAEXAMPLEBROKER001",
				"arn": "arn:aws:iam::111122223333:user/broker",
				"accountId": "111122223333",
				"userName": "broker",
			},
			"attributes": {"creationDate": "2026-03-01T09:00:00Z", "mfaAuthenticated": "false"},
		},
	},
	"sourceIPAddress": "198.51.100.20",
	"recipientAccountId": "111122223333",
}

aws_service := {
	"userIdentity": {"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"},
	"sourceIPAddress": "cloudformation.amazonaws.com",
	"recipientAccountId": "111122223333",
}

cross_account_role := object.union(assumed_role, {
	"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::444455556666:assumed-role/Auditor/bob",
		"accountId": "444455556666",
		"accessKeyId": "ASIAEXAMPLEXACCOUNT1",
		"sessionContext": {
			"sessionIssuer": {
				"type": "Role",
				"arn": "arn:aws:iam::444455556666:role/Auditor",
				"accountId": "444455556666",
				"userName": "Auditor",
			},
			"attributes": {"mfaAuthenticated": "false"},
		},
	},
	"sessionCredentialFromConsole": "false",
	"userAgent": "aws-cli/1.45.11",
})

test_iam_user_identity if {
	cloudtrail.identity_type == "IAMUser" with input as iam_user
	cloudtrail.is_iam_user with input as iam_user
	not cloudtrail.is_root with input as iam_user
	not cloudtrail.is_assumed_role with input as iam_user
	cloudtrail.caller_arn == "arn:aws:iam::111122223333:user/ops/alice" with input as iam_user
	cloudtrail.caller_user_name == "alice" with input as iam_user
	cloudtrail.actor_name == "alice" with input as iam_user
	cloudtrail.long_term_key_id == "AKIAEXAMPLEALICE0001" with input as iam_user
	not cloudtrail.cross_account with input as iam_user
}

# Panther's fixtures carry userIdentity.userName "user1" with an ARN ending user/jackson: the
# ARN wins.
test_iam_user_name_comes_from_the_arn if {
	rec := json.patch(iam_user, [
		{"op": "replace", "path": "/userIdentity/arn", "value": "arn:aws:iam::111122223333:user/jackson"},
		{"op": "replace", "path": "/userIdentity/userName", "value": "user1"},
	])
	cloudtrail.caller_user_name == "jackson" with input as rec
}

test_iam_user_name_falls_back_to_user_name_without_arn if {
	rec := json.remove(iam_user, ["/userIdentity/arn"])
	cloudtrail.caller_user_name == "alice" with input as rec
}

test_assumed_role_identity if {
	cloudtrail.is_assumed_role with input as assumed_role
	cloudtrail.role_name == "Admin" with input as assumed_role
	cloudtrail.role_session_name == "alice@example.com" with input as assumed_role
	cloudtrail.session_issuer_arn == "arn:aws:iam::111122223333:role/platform/Admin" with input as assumed_role
	cloudtrail.actor_name == "Admin" with input as assumed_role
	cloudtrail.display_name == "Admin/alice@example.com" with input as assumed_role
	not cloudtrail.caller_user_name with input as assumed_role
	not cloudtrail.long_term_key_id with input as assumed_role
}

# The issuer's ARN wins over its userName (Panther fixtures: role/tester vs userName Tester).
test_role_name_prefers_issuer_arn if {
	rec := json.patch(assumed_role, [{
		"op": "replace", "path": "/userIdentity/sessionContext/sessionIssuer/userName",
		"value": "SomethingElse",
	}])
	cloudtrail.role_name == "Admin" with input as rec
}

test_role_name_from_assumed_role_arn_without_issuer if {
	rec := json.remove(assumed_role, ["/userIdentity/sessionContext/sessionIssuer"])
	cloudtrail.role_name == "Admin" with input as rec
}

test_root_identity if {
	cloudtrail.is_root with input as root_console
	cloudtrail.actor_name == "root" with input as root_console
	not cloudtrail.caller_user_name with input as root_console
	not cloudtrail.role_name with input as root_console
}

test_root_recognised_by_arn_alone if {
	cloudtrail.is_root with input as {"userIdentity": {"arn": "arn:aws:iam::111122223333:root"}}
}

test_federated_user_identity if {
	cloudtrail.is_federated_user with input as federated
	cloudtrail.federated_user_name == "build-bot" with input as federated
	cloudtrail.actor_name == "build-bot" with input as federated
	cloudtrail.session_issuer_arn == "arn:aws:iam::111122223333:user/broker" with input as federated
	not cloudtrail.caller_user_name with input as federated
}

test_aws_service_identity if {
	cloudtrail.is_aws_service with input as aws_service
	cloudtrail.actor_name == "cloudformation.amazonaws.com" with input as aws_service
	cloudtrail.actor == {"type": "AWSService", "name": "cloudformation.amazonaws.com", "mfa_authenticated": false, "invoked_by": "cloudformation.amazonaws.com"} with input as aws_service
}

test_cross_account_caller if {
	cloudtrail.cross_account with input as cross_account_role
	cloudtrail.caller_account == "444455556666" with input as cross_account_role
	cloudtrail.recipient_account == "111122223333" with input as cross_account_role
	not cloudtrail.cross_account with input as assumed_role
}

test_cross_account_needs_both_accounts if {
	not cloudtrail.cross_account with input as json.remove(iam_user, ["/recipientAccountId"])
	cloudtrail.recipient_account == "111122223333" with input as json.remove(iam_user, ["/recipientAccountId"])
}

test_actor_iam_user if {
	cloudtrail.actor == {
		"type": "IAMUser",
		"arn": "arn:aws:iam::111122223333:user/ops/alice",
		"name": "alice",
		"account": "111122223333",
		"access_key_id": "AKIAEXAMPLEALICE0001",
		"mfa_authenticated": false,
	} with input as iam_user
}

test_actor_assumed_role if {
	cloudtrail.actor == {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
		"name": "Admin",
		"account": "111122223333",
		"access_key_id": "ASIAEXAMPLESESSION01",
		"session_issuer": "arn:aws:iam::111122223333:role/platform/Admin",
		"mfa_authenticated": false,
	} with input as assumed_role
}

test_actor_root_console_with_mfa if {
	cloudtrail.actor == {
		"type": "Root",
		"arn": "arn:aws:iam::111122223333:root",
		"name": "root",
		"account": "111122223333",
		"access_key_id": "ASIAEXAMPLEROOT00001",
		"mfa_authenticated": true,
	} with input as root_console
}

test_actor_omits_masked_and_empty_values if {
	rec := json.patch(iam_user, [
		{"op": "replace", "path": "/userIdentity/accessKeyId", "value": ""},
		{"op": "add", "path": "/userIdentity/invokedBy", "value": "HIDDEN_DUE_TO_SECURITY_REASONS"},
	])
	a := cloudtrail.actor with input as rec
	not a.access_key_id
	not a.invoked_by
}

test_actor_of_an_empty_record if {
	cloudtrail.actor == {"mfa_authenticated": false} with input as {}
	cloudtrail.display_name == "an unknown caller" with input as {}
}

test_present if {
	cloudtrail.present("bob")
	not cloudtrail.present("")
	not cloudtrail.present(null)
	not cloudtrail.present(7)
	not cloudtrail.present("HIDDEN_DUE_TO_SECURITY_REASONS")
}

test_via_cloudformation if {
	cloudtrail.via_cloudformation with input as aws_service
	cloudtrail.via_cloudformation with input as object.union(iam_user, {"userIdentity": {"invokedBy": "cloudformation.amazonaws.com"}})
	not cloudtrail.via_cloudformation with input as iam_user
	not cloudtrail.via_cloudformation with input as assumed_role
}

# The caller's names are read from its ARN with one regular expression each (cheaper than
# data.lib.arn): on these ARNs, well-formed and not, they agree with the lib.arn functions.
edge_arns := [
	"arn:aws:iam::111122223333:user/bob",
	"arn:aws:iam::111122223333:user/division/team/bob",
	"arn:aws:iam::111122223333:user//bob",
	"arn:aws:iam::111122223333:user/",
	"arn:aws:iam::111122223333:user/bob/",
	"arn:aws:iam::111122223333:user",
	"arn:aws:iam::111122223333:userbob",
	"arn:aws:iam:us-east-1:111122223333:user/x:y",
	"arn:aws-cn:iam::111122223333:user/line\nbreak",
	"arn::iam::111122223333:user/bob",
	"arn:aws:iam::111122223333:root",
	"arn:aws:iam:::root",
	"arn:aws:iam::111122223333:root:x",
	"arn:aws:iam::111122223333:root/x",
	"arn:aws:sts::111122223333:root",
	"xarn:aws:iam::111122223333:root",
	"arn:aws:iam::111122223333:role/ops/Admin",
	"arn:aws:iam::111122223333:role",
	"arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com",
	"arn:aws:sts::111122223333:assumed-role/Admin/a/b",
	"arn:aws:sts::111122223333:assumed-role/Admin/",
	"arn:aws:sts::111122223333:assumed-role/Admin",
	"arn:aws:sts::111122223333:assumed-role//alice",
	"arn:aws:sts::111122223333:assumed-role/Admin/s\nx",
	"arn:aws:iam::111122223333:assumed-role/Admin/alice",
	"arn:aws:sts::111122223333:federated-user/build-bot",
	"arn:aws:sts::111122223333:federated-user/",
	"arn:aws:sts::111122223333:federated-user",
	"arn:aws:sts:111122223333:federated-user/bot",
	"arn:aws",
	"",
]

test_is_root_agrees_with_lib_arn if {
	every a in edge_arns {
		got := cloudtrail.is_root with input as {"userIdentity": {"type": "IAMUser", "arn": a}}
		want := count({a | arn.is_root(a)}) == 1
		got == want
	}
}

test_caller_user_name_agrees_with_lib_arn if {
	every a in edge_arns {
		got := {n | n := cloudtrail.caller_user_name with input as {"userIdentity": {"type": "IAMUser", "arn": a}}}
		got == {n | arn.is_iam_user(a); n := arn.last_segment(a)}
	}
}

test_federated_user_name_agrees_with_lib_arn if {
	every a in edge_arns {
		got := {n | n := cloudtrail.federated_user_name with input as {"userIdentity": {"type": "FederatedUser", "arn": a}}}
		got == {n | arn.resource_type(a) == "federated-user"; n := arn.last_segment(a)}
	}
}

test_role_name_agrees_with_lib_arn if {
	every a in edge_arns {
		from_issuer := {"userIdentity": {"type": "AssumedRole", "sessionContext": {"sessionIssuer": {"arn": a}}}}
		{n | n := cloudtrail.role_name with input as from_issuer} == {n | n := arn.last_segment(a)}
		from_session := {"userIdentity": {"type": "AssumedRole", "arn": a}}
		{n | n := cloudtrail.role_name with input as from_session} == {n | n := arn.assumed_role_parts(a).role}
	}
}

test_role_session_name_agrees_with_lib_arn if {
	every a in edge_arns {
		got := {s | s := cloudtrail.role_session_name with input as {"userIdentity": {"type": "AssumedRole", "arn": a}}}
		got == {s | s := arn.assumed_role_parts(a).session; s != ""}
	}
}

# Names apply to their identity type only.
test_names_need_their_identity_type if {
	not cloudtrail.caller_user_name with input as {"userIdentity": {"type": "AssumedRole", "arn": "arn:aws:iam::111122223333:user/bob"}}
	not cloudtrail.role_name with input as {"userIdentity": {"type": "IAMUser", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice"}}
	not cloudtrail.role_session_name with input as {"userIdentity": {"type": "IAMUser", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice"}}
	not cloudtrail.federated_user_name with input as {"userIdentity": {"type": "IAMUser", "arn": "arn:aws:sts::111122223333:federated-user/bot"}}
}

# long_term_key_id tests the key on input (for OPA's rule index): only a string starting with
# AKIA is one, and it is then access_key_id.
test_long_term_key_id_only_for_akia_strings if {
	cloudtrail.long_term_key_id == "AKIAX" with input as {"userIdentity": {"accessKeyId": "AKIAX"}}
	cloudtrail.long_term_key_id == cloudtrail.access_key_id with input as iam_user
	not cloudtrail.long_term_key_id with input as {"userIdentity": {"accessKeyId": "akiax"}}
	not cloudtrail.long_term_key_id with input as {"userIdentity": {"accessKeyId": "ASIAX"}}
	not cloudtrail.long_term_key_id with input as {"userIdentity": {"accessKeyId": 7}}
	not cloudtrail.long_term_key_id with input as {"userIdentity": "AKIAX"}
	not cloudtrail.long_term_key_id with input as {}
}
