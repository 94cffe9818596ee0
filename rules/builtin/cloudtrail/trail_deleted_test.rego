package builtin.cloudtrail.trail_deleted_test

import data.builtin.cloudtrail.trail_deleted as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

# A DeleteTrail record as CloudTrail writes it (IAM user, long-term key, CLI).
delete_trail := {
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
	"eventSource": "cloudtrail.amazonaws.com",
	"eventName": "DeleteTrail",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "203.0.113.66",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"requestParameters": {"name": "management-trail"},
	"responseElements": null,
	"requestID": "8192a3b4-c5d6-4e7f-8091-a2b3c4d5e6f7",
	"eventID": "091a2b3c-4d5e-46f7-8091-a2b3c4d5e6f7",
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

test_alert_trail_deleted if {
	f := one(delete_trail)
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 deleted CloudTrail trail management-trail in us-east-1."
	f.target == {"trail_name": "management-trail"}
	f.context.trail_short_name == "management-trail"
	f.context.actor_long_term_key_id == "AKIAEXAMPLEMALLORY01"
}

test_alert_trail_deleted_by_cloudformation_stack_is_high if {
	rec := patched(delete_trail, {
		"userIdentity": object.union(delete_trail.userIdentity, {"invokedBy": "cloudformation.amazonaws.com"}),
		"sourceIPAddress": "cloudformation.amazonaws.com",
		"userAgent": "cloudformation.amazonaws.com",
	})
	one(rec).severity == "HIGH"
}

test_alert_denied_deletion_is_medium if {
	rec := patched(delete_trail, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: cloudtrail:DeleteTrail on resource: arn:aws:cloudtrail:us-east-1:111122223333:trail/management-trail"})
	one(rec).severity == "MEDIUM"
}

test_no_alert_trail_created if {
	count(rule.alert) == 0 with input as patched(delete_trail, {"eventName": "CreateTrail"})
}

test_no_alert_deleting_a_missing_trail if {
	count(rule.alert) == 0 with input as patched(delete_trail, {"errorCode": "TrailNotFoundException", "errorMessage": "Unknown trail"})
}

test_no_alert_other_service_delete if {
	count(rule.alert) == 0 with input as patched(delete_trail, {"eventSource": "cloudtrail-data.amazonaws.com"})
}
