package lib.test_test

import data.lib.cloudtrail as ct
import data.lib.iam
import data.lib.test

test_iam_user_is_an_iam_user_with_a_long_term_key if {
	id := test.iam_user("alice")
	test.equals(id.arn, "arn:aws:iam::111122223333:user/alice")
	test.equals(id.accessKeyId, "AKIAEXAMPLEALICE0001")
	test.equals(test.iam_user("mallory").principalId, "AIDAEXAMPLEMALLORY01")
	rec := test.iam_call("UpdateUser", id, {})
	ct.is_iam_user with input as rec
	test.equals(ct.caller_user_name, "alice") with input as rec
	test.equals(ct.long_term_key_id, "AKIAEXAMPLEALICE0001") with input as rec
}

test_callers_read_as_their_type if {
	test.equals(ct.display_name, "Ops/dave") with input as test.cloudtrail_call("StopLogging", test.assumed_role("Ops", "dave"), {})
	ct.is_root with input as test.iam_call("CreateAccessKey", test.root, null)
	ct.mfa_authenticated with input as test.iam_call("UpdateUser", test.root_console, {})
	test.equals(ct.federating_user_name, "alice") with input as test.iam_call("UpdateUser", test.federated_user("bot", "alice"), {})
	ct.is_aws_service with input as test.iam_call("UpdateUser", test.aws_service("cloudformation.amazonaws.com"), {})
}

test_console_marks_a_console_session if {
	rec := test.console(test.iam_call("UpdateUser", {}, {}), test.console_session(test.iam_user("alice"), "false"))
	ct.console_session with input as rec
	ct.console_mfa_missing with input as rec
	test.equals(ct.access_key_id, "ASIAEXAMPLECONSOLE01") with input as rec
	not ct.console_session with input as test.iam_call("UpdateUser", test.iam_user("alice"), {})
}

test_call_is_a_successful_management_call if {
	rec := test.lambda_call("DeleteFunction20150331", test.iam_user("alice"), {"functionName": "f"})
	test.equals(rec.eventSource, "lambda.amazonaws.com")
	ct.success with input as rec
	test.equals(ct.summary_phrase, "alice (IAMUser) from 198.51.100.7") with input as rec
	test.equals(ct.base_context.window_start, "2026-02-28T10:30:00Z") with input as rec
	test.equals(test.events_call("DeleteRule", {}, {}).eventSource, "events.amazonaws.com")
}

test_create_access_key_names_the_user_in_the_response if {
	rec := test.create_access_key(test.iam_user("alice"), {"userName": "bob"})
	test.equals(rec.responseElements.accessKey.userName, "bob")
	test.equals(iam.target, {"user_name": "bob", "access_key_id": "AKIAEXAMPLENEWKEY001"}) with input as rec
	own := test.create_access_key(test.root, null)
	not own.responseElements.accessKey.userName
	iam.root_created_own_access_key with input as own
	test.equals(test.create_access_key(test.iam_user("alice"), {}).requestParameters, {})
}

test_key_and_user_calls if {
	test.equals(test.update_access_key(test.root, {}).eventName, "UpdateAccessKey")
	test.equals(test.delete_access_key(test.root, {}).eventName, "DeleteAccessKey")
	test.equals(test.update_user(test.root, {}).eventName, "UpdateUser")
}

test_failed_records_the_error if {
	rec := test.failed(test.create_access_key(test.iam_user("alice"), {"userName": "bob"}), "AccessDenied", "denied")
	ct.denied with input as rec
	rec.responseElements == null
}

test_patched_replaces_top_level_keys if {
	test.equals(test.patched({"a": {"x": 1, "y": 2}, "b": 1}, {"a": {"x": 3}}), {"a": {"x": 3}, "b": 1})
}

test_one_is_the_only_finding if {
	test.equals(test.one({{"msg": "a"}}), {"msg": "a"})
	not test.one(set())
	not test.one({{"msg": "a"}, {"msg": "b"}})
}

test_equals_and_has_fail_on_a_difference if {
	test.equals(1, 1)
	not test.equals(1, 2)
	test.has({"a": 1, "b": 2}, {"a": 1})
	not test.has({"a": 1}, {"a": 2})
}
