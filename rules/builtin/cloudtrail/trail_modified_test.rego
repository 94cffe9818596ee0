package builtin.cloudtrail.trail_modified_test

import data.builtin.cloudtrail.trail_modified as rule
import data.lib.test

# PutEventSelectors as the Stratus Red Team "cloudtrail-event-selectors" technique issues it:
# data events only, management events off.
selectors_dropped := test.patched(
	test.cloudtrail_call("PutEventSelectors", test.iam_user("mallory"), {
		"trailName": "management-trail",
		"eventSelectors": [{
			"dataResources": [{"type": "AWS::S3::Object", "values": []}, {"type": "AWS::Lambda::Function", "values": []}],
			"excludeManagementEventSources": [],
			"includeManagementEvents": false,
			"readWriteType": "ReadOnly",
		}],
	}),
	{
		"eventVersion": "1.10",
		"sourceIPAddress": "203.0.113.66",
		"responseElements": {
			"trailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-trail",
			"eventSelectors": [{
				"dataResources": [{"type": "AWS::S3::Object", "values": []}, {"type": "AWS::Lambda::Function", "values": []}],
				"excludeManagementEventSources": [],
				"includeManagementEvents": false,
				"readWriteType": "ReadOnly",
			}],
		},
	},
)

update_trail(params) := test.patched(selectors_dropped, {
	"eventName": "UpdateTrail",
	"requestParameters": object.union({"name": "management-trail"}, params),
	"responseElements": {"name": "management-trail", "trailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-trail"},
})

test_alert_management_events_dropped_is_critical if {
	f := test.one(rule.alert) with input as selectors_dropped
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 changed the event selectors of CloudTrail trail management-trail in us-east-1: management write events are no longer logged."
	f.target == {"trail_name": "management-trail"}
	f.context.management_events_dropped_trail == "management-trail"
	f.context.blinds_detector == true
}

test_alert_global_service_events_off_is_critical if {
	f := test.one(rule.alert) with input as update_trail({"includeGlobalServiceEvents": false})
	f.severity == "CRITICAL"
	f.context.global_events_dropped_trail == "management-trail"
	not f.context.management_events_dropped_trail
}

test_alert_single_region_and_new_bucket_is_high if {
	f := test.one(rule.alert) with input as update_trail({"isMultiRegionTrail": false, "s3BucketName": "logs-archive-7731"})
	f.severity == "HIGH"
	f.msg == "mallory (IAMUser) from 203.0.113.66 updated CloudTrail trail management-trail in us-east-1: logs now go to another S3 bucket; the trail no longer covers all regions."
	f.context.single_region_trail == "management-trail"
}

test_alert_validation_off_is_high if {
	f := test.one(rule.alert) with input as update_trail({"enableLogFileValidation": false})
	f.severity == "HIGH"
	f.context.validation_off_trail == "management-trail"
}

test_alert_harmless_change_is_medium if {
	f := test.one(rule.alert) with input as update_trail({"snsTopicName": "trail-delivery"})
	f.severity == "MEDIUM"
	f.msg == "mallory (IAMUser) from 203.0.113.66 updated CloudTrail trail management-trail in us-east-1."
	f.context.weakening == []
}

test_alert_adding_data_events_keeping_management_is_medium if {
	rec := test.patched(selectors_dropped, {"requestParameters": {
		"trailName": "management-trail",
		"eventSelectors": [{
			"readWriteType": "All",
			"includeManagementEvents": true,
			"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::payroll-exports/"]}],
		}],
	}})
	test.one(rule.alert).severity == "MEDIUM" with input as rec
}

test_alert_via_cloudformation_steps_down if {
	rec := test.patched(update_trail({"includeGlobalServiceEvents": false}), {"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

test_alert_denied_attempt_is_medium if {
	rec := test.patched(selectors_dropped, {"errorCode": "AccessDeniedException", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: cloudtrail:PutEventSelectors", "responseElements": null})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.msg == "mallory (IAMUser) from 203.0.113.66 tried to change CloudTrail trail management-trail in us-east-1 with PutEventSelectors (denied: AccessDeniedException)."
}

test_no_alert_reading_selectors if {
	count(rule.alert) == 0 with input as test.patched(selectors_dropped, {"eventName": "GetEventSelectors", "readOnly": true})
}

test_no_alert_creating_a_trail if {
	count(rule.alert) == 0 with input as test.patched(update_trail({"s3BucketName": "logs"}), {"eventName": "CreateTrail"})
}

test_no_alert_failed_update if {
	count(rule.alert) == 0 with input as test.patched(update_trail({"s3BucketName": "nope"}), {"errorCode": "InsufficientS3BucketPolicyException", "errorMessage": "Incorrect S3 bucket policy is detected for bucket: nope"})
}
