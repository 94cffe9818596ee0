package lib.trail_test

import data.lib.test
import data.lib.trail

put_selectors(params) := test.cloudtrail_call("PutEventSelectors", test.iam_user("alice"), object.union({"trailName": "org-trail"}, params))

update_trail(params) := test.cloudtrail_call("UpdateTrail", test.iam_user("alice"), object.union({"name": "org-trail"}, params))

test_name if {
	trail.name == "org-trail" with input as {"requestParameters": {"name": "org-trail"}}
	trail.name == "org-trail" with input as {"requestParameters": {"trailName": "org-trail"}}
	not trail.name with input as {"requestParameters": null}
	trail.display_name == "an unnamed trail" with input as {}
}

test_short_name if {
	trail.short_name("arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail") == "org-trail"
	trail.short_name("org-trail") == "org-trail"
	trail.display_name == "org-trail" with input as {"requestParameters": {"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"}}
}

# The Stratus Red Team technique: data events only, management events off.
test_management_events_dropped_basic_selectors if {
	rec := put_selectors({"eventSelectors": [{
		"dataResources": [{"type": "AWS::S3::Object", "values": []}, {"type": "AWS::Lambda::Function", "values": []}],
		"excludeManagementEventSources": [],
		"includeManagementEvents": false,
		"readWriteType": "ReadOnly",
	}]})
	trail.management_events_dropped with input as rec
	trail.blinds_detector with input as rec
}

test_read_only_management_events_drop_writes if {
	rec := put_selectors({"eventSelectors": [{"includeManagementEvents": true, "readWriteType": "ReadOnly"}]})
	trail.management_events_dropped with input as rec
}

test_management_events_kept if {
	every sel in [
		{"includeManagementEvents": true, "readWriteType": "All"},
		{"includeManagementEvents": true, "readWriteType": "WriteOnly"},
		{"includeManagementEvents": true},
	] {
		not trail.management_events_dropped with input as put_selectors({"eventSelectors": [sel, {"includeManagementEvents": false, "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]})
	}
}

test_advanced_selectors if {
	kept := put_selectors({"advancedEventSelectors": [{"name": "Management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]})
	not trail.management_events_dropped with input as kept
	reads_only := put_selectors({"advancedEventSelectors": [{"fieldSelectors": [
		{"field": "eventCategory", "equals": ["Management"]},
		{"field": "readOnly", "equals": ["true"]},
	]}]})
	trail.management_events_dropped with input as reads_only
	data_only := put_selectors({"advancedEventSelectors": [{"fieldSelectors": [
		{"field": "eventCategory", "equals": ["Data"]},
		{"field": "resources.type", "equals": ["AWS::S3::Object"]},
	]}]})
	trail.management_events_dropped with input as data_only
}

test_selectors_missing_is_not_judged if {
	not trail.management_events_dropped with input as put_selectors({})
}

test_update_trail_weakening if {
	rec := update_trail({
		"includeGlobalServiceEvents": false,
		"isMultiRegionTrail": false,
		"enableLogFileValidation": false,
		"s3BucketName": "attacker-bucket",
		"cloudWatchLogsLogGroupArn": "",
		"kmsKeyId": "",
	})
	trail.weakening == {
		"global service events (IAM, STS, CloudFront) are no longer logged",
		"the trail no longer covers all regions",
		"log file validation was turned off",
		"logs now go to another S3 bucket",
		"the CloudWatch Logs delivery changed",
		"the KMS key changed",
	} with input as rec
	trail.blinds_detector with input as rec
}

test_update_trail_harmless if {
	rec := update_trail({"snsTopicName": "trail-notifications", "includeGlobalServiceEvents": true})
	trail.weakening == set() with input as rec
	not trail.blinds_detector with input as rec
}

test_malformed_selectors_do_not_error if {
	trail.management_events_dropped with input as put_selectors({"eventSelectors": ["All", 7, null]})
	trail.management_events_dropped with input as put_selectors({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": "Management"}]}]})
}
