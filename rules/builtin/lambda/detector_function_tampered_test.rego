package builtin.lambda.detector_function_tampered_test

import data.builtin.lambda.detector_function_tampered as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

# A DeleteFunction record as CloudTrail writes it (IAM user, CLI); Lambda versions its
# event names.
delete_fn := {
	"eventVersion": "1.09",
	"userIdentity": {
		"type": "IAMUser",
		"principalId": "AIDAEXAMPLEMALLORY01",
		"arn": "arn:aws:iam::111122223333:user/mallory",
		"accountId": "111122223333",
		"accessKeyId": "AKIAEXAMPLEMALLORY01",
		"userName": "mallory",
	},
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "lambda.amazonaws.com",
	"eventName": "DeleteFunction20150331",
	"awsRegion": "eu-central-1",
	"sourceIPAddress": "203.0.113.66",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4"},
	"responseElements": null,
	"requestID": "b4c5d6e7-f809-41a2-b3c4-d5e6f708192a",
	"eventID": "3c4d5e6f-7081-492a-b3c4-d5e6f708192a",
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

test_alert_detector_deleted if {
	f := one(delete_fn)
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 deleted Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector."
	f.target == {"function_name": "trailhound-DetectorFunction-Q1W2E3R4"}
	f.context.change == "delete"
}

test_alert_code_replaced_by_arn if {
	rec := patched(delete_fn, {
		"eventName": "UpdateFunctionCode20150331v2",
		"requestParameters": {"functionName": "arn:aws:lambda:eu-central-1:111122223333:function:trailhound-DetectorFunction-Q1W2E3R4", "publish": false, "dryRun": false},
		"responseElements": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "codeSha256": "pD9nOBTWrALa1b3YvDZ4ZJZ5i4t7p6vBq7FZp2nCkJg=", "version": "$LATEST"},
	})
	f := one(rec)
	f.severity == "HIGH"
	f.target.function_name == "trailhound-DetectorFunction-Q1W2E3R4"
	f.context.code_sha256 == "pD9nOBTWrALa1b3YvDZ4ZJZ5i4t7p6vBq7FZp2nCkJg="
	f.msg == "mallory (IAMUser) from 203.0.113.66 replaced the code of Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector."
}

test_alert_configuration_changed if {
	rec := patched(delete_fn, {"eventName": "UpdateFunctionConfiguration20150331v2", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "timeout": 1}})
	one(rec).severity == "HIGH"
}

test_alert_throttled_to_zero_is_critical if {
	rec := patched(delete_fn, {
		"eventName": "PutFunctionConcurrency20171031",
		"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "reservedConcurrentExecutions": 0},
		"responseElements": {"reservedConcurrentExecutions": 0},
	})
	f := one(rec)
	f.severity == "CRITICAL"
	f.context.throttled_function_name == "trailhound-DetectorFunction-Q1W2E3R4"
	f.msg == "mallory (IAMUser) from 203.0.113.66 set the reserved concurrency of Lambda function trailhound-DetectorFunction-Q1W2E3R4 to 0, throttling every invocation, in eu-central-1, the trailhound detector."
}

test_alert_other_concurrency_is_medium if {
	rec := patched(delete_fn, {"eventName": "PutFunctionConcurrency20171031", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "reservedConcurrentExecutions": 1}})
	f := one(rec)
	f.severity == "MEDIUM"
	not f.context.throttled_function_name
	f.context.reserved_concurrency == 1
}

test_alert_concurrency_removed_is_low if {
	rec := patched(delete_fn, {"eventName": "DeleteFunctionConcurrency20171031"})
	one(rec).severity == "LOW"
}

test_alert_release_deployment_steps_down if {
	rec := patched(delete_fn, {
		"eventName": "UpdateFunctionCode20150331v2",
		"sourceIPAddress": "cloudformation.amazonaws.com",
		"userAgent": "cloudformation.amazonaws.com",
		"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4"},
	})
	f := one(rec)
	f.severity == "MEDIUM"
	f.context.via_cloudformation == true
}

test_alert_template_function_name if {
	rec := patched(delete_fn, {"requestParameters": {"functionName": "arn:aws:lambda:us-east-1:111122223333:function:trailhound-detector"}})
	one(rec).target.function_name == "trailhound-detector"
}

test_alert_denied_attempt_is_medium if {
	rec := patched(delete_fn, {"errorCode": "AccessDeniedException", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: lambda:DeleteFunction on resource: arn:aws:lambda:eu-central-1:111122223333:function:trailhound-DetectorFunction-Q1W2E3R4 because no identity-based policy allows the lambda:DeleteFunction action"})
	f := one(rec)
	f.severity == "MEDIUM"
	f.msg == "mallory (IAMUser) from 203.0.113.66 was denied DeleteFunction20150331 on Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector (AccessDeniedException)."
}

test_no_alert_other_functions if {
	count(rule.alert) == 0 with input as patched(delete_fn, {"requestParameters": {"functionName": "orders-api"}})
	count(rule.alert) == 0 with input as patched(delete_fn, {"eventName": "UpdateFunctionCode20150331v2", "requestParameters": {"functionName": "arn:aws:lambda:eu-central-1:111122223333:function:orders-api"}})
}

test_no_alert_reading_or_invoking_the_detector if {
	count(rule.alert) == 0 with input as patched(delete_fn, {"eventName": "GetFunction20150331v2", "readOnly": true})
	count(rule.alert) == 0 with input as patched(delete_fn, {"eventName": "PublishVersion20150331"})
}

test_no_alert_unrelated_failure if {
	count(rule.alert) == 0 with input as patched(delete_fn, {"errorCode": "ResourceNotFoundException", "errorMessage": "Function not found"})
}

# Who may invoke the detector, its aliases and the event source mappings that feed it.
remove_permission := patched(delete_fn, {
	"eventName": "RemovePermission20150331v2",
	"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "statementId": "DetectorRuleInvoke"},
})

test_alert_invoke_permission_removed if {
	f := one(remove_permission)
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 removed invoke permission DetectorRuleInvoke from Lambda function trailhound-DetectorFunction-Q1W2E3R4 in eu-central-1, the trailhound detector."
	f.context.change == "permission_removed"
	not f.context.step_down_reasons
}

test_alert_invoke_permission_added if {
	f := one(patched(remove_permission, {
		"eventName": "AddPermission20150331v2",
		"requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "statementId": "x", "action": "lambda:InvokeFunction", "principal": "444455556666"},
	}))
	f.severity == "HIGH"
	contains(f.msg, "allowed 444455556666 to invoke Lambda function")
	count(f.context.step_down_reasons) == 1
}

test_alert_alias_changed_and_created if {
	changed := one(patched(remove_permission, {"eventName": "UpdateAlias20150331", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "name": "live", "functionVersion": "3"}}))
	changed.severity == "HIGH"
	created := one(patched(remove_permission, {"eventName": "CreateAlias20150331", "requestParameters": {"functionName": "trailhound-DetectorFunction-Q1W2E3R4", "name": "x", "functionVersion": "1"}}))
	created.severity == "MEDIUM"
}

# UpdateEventSourceMapping and DeleteEventSourceMapping name the mapping by UUID: the
# function is in the response.
test_alert_event_source_mapping_deleted if {
	f := one(patched(remove_permission, {
		"eventName": "DeleteEventSourceMapping20150331",
		"requestParameters": {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"},
		"responseElements": {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "functionArn": "arn:aws:lambda:eu-central-1:111122223333:function:trailhound-DetectorFunction-Q1W2E3R4", "state": "Deleting"},
	}))
	f.severity == "CRITICAL"
	f.target.function_name == "trailhound-DetectorFunction-Q1W2E3R4"
}

test_alert_permission_removal_denied if {
	f := one(patched(remove_permission, {"errorCode": "AccessDeniedException", "errorMessage": "not authorized"}))
	f.severity == "MEDIUM"
	f.context.step_down_reasons == ["the call was denied (AccessDeniedException): nothing changed"]
}

# Near misses: another function's permissions and mappings; a mapping whose function is not known.
test_no_alert_other_functions_permissions_and_mappings if {
	count(rule.alert) == 0 with input as patched(remove_permission, {"requestParameters": {"functionName": "orders-api", "statementId": "x"}})
	count(rule.alert) == 0 with input as patched(remove_permission, {
		"eventName": "DeleteEventSourceMapping20150331",
		"requestParameters": {"uUID": "x"},
		"responseElements": {"functionArn": "arn:aws:lambda:eu-central-1:111122223333:function:orders-api"},
	})
	count(rule.alert) == 0 with input as patched(remove_permission, {"eventName": "DeleteEventSourceMapping20150331", "requestParameters": {"uUID": "x"}, "responseElements": null})
}

test_alert_cloudformation_code_update_lists_both_step_downs if {
	rec := patched(delete_fn, {
		"eventName": "UpdateFunctionCode20150331v2",
		"userIdentity": object.union(delete_fn.userIdentity, {"invokedBy": "cloudformation.amazonaws.com"}),
	})
	f := one(rec)
	f.severity == "MEDIUM"
	count(f.context.step_down_reasons) == 2
}
