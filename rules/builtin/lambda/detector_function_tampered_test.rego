package builtin.lambda.detector_function_tampered_test

import data.builtin.lambda.detector_function_tampered as rule
import data.lib.test

# A DeleteFunction record as CloudTrail writes it (IAM user, CLI); Lambda versions its
# event names.
delete_fn := test.patched(test.lambda_call("DeleteFunction20150331", test.iam_user("mallory"), {"functionName": "trailhound-DetectorFunction-Q1W2E3R4"}), {
	"awsRegion": "eu-central-1",
	"sourceIPAddress": "203.0.113.66",
})

test_alert_detector_deleted if {
	f := test.one(rule.alert) with input as delete_fn
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 deleted Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector."
	f.target == {"function_name": "trailhound-DetectorFunction-Q1W2E3R4"}
	f.context.change == "delete"
}

test_alert_code_replaced_by_arn if {
	rec := test.patched(delete_fn, {
		"eventName": "UpdateFunctionCode20150331v2",
		"requestParameters": {"functionName": "arn:aws:lambda:eu-central-1:111122223333:function:trailhound-DetectorFunction-Q1W2E3R4", "publish": false, "dryRun": false},
		"responseElements": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "codeSha256": "pD9nOBTWrALa1b3YvDZ4ZJZ5i4t7p6vBq7FZp2nCkJg=", "version": "$LATEST"},
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.target.function_name == "trailhound-DetectorFunction-Q1W2E3R4"
	f.context.code_sha256 == "pD9nOBTWrALa1b3YvDZ4ZJZ5i4t7p6vBq7FZp2nCkJg="
	f.msg == "mallory (IAMUser) from 203.0.113.66 replaced the code of Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector."
}

test_alert_configuration_changed if {
	rec := test.patched(delete_fn, {"eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "timeout": 1}})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

test_alert_throttled_to_zero_is_critical if {
	rec := test.patched(delete_fn, {
		"eventName": "PutFunctionConcurrency20171031",
		"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "reservedConcurrentExecutions": 0},
		"responseElements": {"reservedConcurrentExecutions": 0},
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "CRITICAL"
	f.context.throttled_function_name == "trailhound-DetectorFunction-Q1W2E3R4"
	f.msg == "mallory (IAMUser) from 203.0.113.66 set the reserved concurrency of Lambda function trailhound-DetectorFunction-Q1W2E3R4 to 0, throttling every invocation, in eu-central-1, the trailhound detector."
}

test_alert_other_concurrency_is_medium if {
	rec := test.patched(delete_fn, {"eventName": "PutFunctionConcurrency20171031", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "reservedConcurrentExecutions": 1}})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	not f.context.throttled_function_name
	f.context.reserved_concurrency == 1
}

test_alert_concurrency_removed_is_low if {
	rec := test.patched(delete_fn, {"eventName": "DeleteFunctionConcurrency20171031"})
	test.one(rule.alert).severity == "LOW" with input as rec
}

test_alert_release_deployment_steps_down if {
	rec := test.patched(delete_fn, {
		"eventName": "UpdateFunctionCode20150331v2",
		"sourceIPAddress": "cloudformation.amazonaws.com",
		"userAgent": "cloudformation.amazonaws.com",
		"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4"},
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.context.via_cloudformation == true
}

test_alert_template_function_name if {
	rec := test.patched(delete_fn, {"requestParameters": {"functionName": "arn:aws:lambda:us-east-1:111122223333:function:trailhound-detector"}})
	test.one(rule.alert).target.function_name == "trailhound-detector" with input as rec
}

test_alert_denied_attempt_is_medium if {
	rec := test.patched(delete_fn, {"errorCode": "AccessDeniedException", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: lambda:DeleteFunction on resource: arn:aws:lambda:eu-central-1:111122223333:function:trailhound-DetectorFunction-Q1W2E3R4 because no identity-based policy allows the lambda:DeleteFunction action"})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied DeleteFunction20150331 on Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector (AccessDeniedException)."
}

test_no_alert_other_functions if {
	count(rule.alert) == 0 with input as test.patched(delete_fn, {"requestParameters": {"functionName": "orders-api"}})
	count(rule.alert) == 0 with input as test.patched(delete_fn, {"eventName": "UpdateFunctionCode20150331v2", "requestParameters": {"functionName": "arn:aws:lambda:eu-central-1:111122223333:function:orders-api"}})
}

test_no_alert_reading_or_invoking_the_detector if {
	count(rule.alert) == 0 with input as test.patched(delete_fn, {"eventName": "GetFunction20150331v2", "readOnly": true})
	count(rule.alert) == 0 with input as test.patched(delete_fn, {"eventName": "PublishVersion20150331"})
}

test_no_alert_unrelated_failure if {
	count(rule.alert) == 0 with input as test.patched(delete_fn, {"errorCode": "ResourceNotFoundException", "errorMessage": "Function not found"})
}

# Who may invoke the detector, its aliases and the event source mappings that feed it.
remove_permission := test.patched(delete_fn, {
	"eventName": "RemovePermission20150331v2",
	"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "statementId": "DetectorRuleInvoke"},
})

test_alert_invoke_permission_removed if {
	f := test.one(rule.alert) with input as remove_permission
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 removed invoke permission DetectorRuleInvoke from Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector."
	f.context.change == "permission_removed"
	not f.context.step_down_reasons
}

test_alert_invoke_permission_added if {
	rec := test.patched(remove_permission, {
		"eventName": "AddPermission20150331v2",
		"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "statementId": "x", "action": "lambda:InvokeFunction", "principal": "444455556666"},
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	contains(f.msg, "allowed 444455556666 to invoke Lambda function")
	count(f.context.step_down_reasons) == 1
}

test_alert_alias_changed_and_created if {
	changed := test.one(rule.alert) with input as test.patched(remove_permission, {"eventName": "UpdateAlias20150331", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "name": "live", "functionVersion": "3"}})
	changed.severity == "HIGH"
	created := test.one(rule.alert) with input as test.patched(remove_permission, {"eventName": "CreateAlias20150331", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "name": "x", "functionVersion": "1"}})
	created.severity == "MEDIUM"
}

# UpdateEventSourceMapping and DeleteEventSourceMapping name the mapping by UUID: the
# function is in the response.
test_alert_event_source_mapping_deleted if {
	rec := test.patched(remove_permission, {
		"eventName": "DeleteEventSourceMapping20150331",
		"requestParameters": {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"},
		"responseElements": {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "functionArn": "arn:aws:lambda:eu-central-1:111122223333:function:trailhound-DetectorFunction-Q1W2E3R4", "state": "Deleting"},
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "CRITICAL"
	f.target.function_name == "trailhound-DetectorFunction-Q1W2E3R4"
}

test_alert_permission_removal_denied if {
	f := test.one(rule.alert) with input as test.patched(remove_permission, {"errorCode": "AccessDeniedException", "errorMessage": "not authorized"})
	f.severity == "MEDIUM"
	f.context.step_down_reasons == ["the call was denied (AccessDeniedException): nothing changed"]
}

# Near misses: another function's permissions and mappings; a mapping whose function is not known.
test_no_alert_other_functions_permissions_and_mappings if {
	count(rule.alert) == 0 with input as test.patched(remove_permission, {"requestParameters": {"functionName": "orders-api", "statementId": "x"}})
	count(rule.alert) == 0 with input as test.patched(remove_permission, {
		"eventName": "DeleteEventSourceMapping20150331",
		"requestParameters": {"uUID": "x"},
		"responseElements": {"functionArn": "arn:aws:lambda:eu-central-1:111122223333:function:orders-api"},
	})
	count(rule.alert) == 0 with input as test.patched(remove_permission, {"eventName": "DeleteEventSourceMapping20150331", "requestParameters": {"uUID": "x"}, "responseElements": null})
}

test_alert_cloudformation_code_update_lists_both_step_downs if {
	rec := test.patched(delete_fn, {
		"eventName": "UpdateFunctionCode20150331v2",
		"userIdentity": object.union(delete_fn.userIdentity, {"invokedBy": "cloudformation.amazonaws.com"}),
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	count(f.context.step_down_reasons) == 2
}
