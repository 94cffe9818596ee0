package lib.enrich_test

import data.lib.enrich
import data.lib.test

# user_identity(name) signs with the key the tests expect as actor_access_key_id.
user_identity(name) := test.patched(test.iam_user(name), {"accessKeyId": "AKIAEXAMPLEACTOR0001"})

record(identity, name, params) := test.iam_call(name, identity, params)

test_other_user_key if {
	s := enrich.subjects with input as record(user_identity("alice"), "UpdateAccessKey", {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"})
	s == {
		"account": "111122223333",
		"target_user": "bob",
		"target_access_key_id": "AKIAEXAMPLEBOBKEY001",
		"actor_user": "alice",
		"actor_access_key_id": "AKIAEXAMPLEACTOR0001",
	}
}

# jackson acting on jack names jack, never a substring match.
test_exact_names if {
	s := enrich.subjects with input as record(user_identity("jackson"), "CreateAccessKey", {"userName": "jack"})
	s.target_user == "jack"
	s.actor_user == "jackson"
}

# No userName in the request: IAM acted on the caller itself.
test_self_when_user_name_omitted if {
	s := enrich.subjects with input as record(user_identity("alice"), "UpdateAccessKey", {"accessKeyId": "AKIAEXAMPLEALICE0002", "status": "Active"})
	s.target_user == "alice"
	s.actor_user == "alice"
	s.target_access_key_id == "AKIAEXAMPLEALICE0002"
}

test_rename_looks_up_new_name if {
	s := enrich.subjects with input as record(user_identity("alice"), "UpdateUser", {"userName": "bob", "newUserName": "bob-old"})
	s.target_user == "bob-old"
}

test_failed_rename_keeps_old_name if {
	rec := object.union(record(user_identity("alice"), "UpdateUser", {"userName": "bob", "newUserName": "bob-old"}), {"errorCode": "EntityAlreadyExists", "errorMessage": "User with name bob-old already exists."})
	s := enrich.subjects with input as rec
	s.target_user == "bob"
}

test_assumed_role_has_no_actor_user if {
	identity := {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::111122223333:assumed-role/Admin/carol",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLESESSION01",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Admin", "userName": "Admin"}},
	}
	s := enrich.subjects with input as record(identity, "DeleteAccessKey", {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"})
	s.target_user == "bob"
	not s.actor_user
	not s.actor_access_key_id
}

test_cross_account_user_has_no_actor_user if {
	identity := object.union(user_identity("eve"), {"arn": "arn:aws:iam::444455556666:user/eve", "accountId": "444455556666"})
	s := enrich.subjects with input as record(identity, "DeleteAccessKey", {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"})
	s.account == "111122223333"
	s.target_user == "bob"
	not s.actor_user
}

# A session key (ASIA...) cannot be listed with ListAccessKeys: only long-term keys are named.
test_session_key_not_named if {
	identity := object.union(user_identity("alice"), {"accessKeyId": "ASIAEXAMPLESESSION02"})
	s := enrich.subjects with input as record(identity, "DeleteAccessKey", {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"})
	s.actor_user == "alice"
	not s.actor_access_key_id
}

test_root_acting_on_itself_has_no_user if {
	identity := {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEROOT00001"}
	s := enrich.subjects with input as record(identity, "CreateAccessKey", null)
	s == {"account": "111122223333"}
}

test_denied_call_target_from_error_message if {
	rec := object.union(record(user_identity("mallory"), "DeleteAccessKey", null), {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:DeleteAccessKey on resource: user bob because no identity-based policy allows the iam:DeleteAccessKey action",
	})
	s := enrich.subjects with input as rec
	s.target_user == "bob"
	s.actor_user == "mallory"
}
