package builtin.cloudtrail.trail_deleted_test

import data.builtin.cloudtrail.trail_deleted as rule
import data.lib.test

# A DeleteTrail record as CloudTrail writes it (IAM user, long-term key, CLI).
delete_trail := test.patched(test.cloudtrail_call("DeleteTrail", test.iam_user("mallory"), {"name": "management-trail"}), {"sourceIPAddress": "203.0.113.66"})

test_alert_trail_deleted if {
	f := test.one(rule.alert) with input as delete_trail
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.66 deleted CloudTrail trail management-trail in us-east-1."
	f.target == {"trail_name": "management-trail"}
	f.context.trail_short_name == "management-trail"
	f.context.actor_long_term_key_id == "AKIAEXAMPLEMALLORY01"
}

test_alert_trail_deleted_by_cloudformation_stack_is_high if {
	rec := test.patched(delete_trail, {
		"userIdentity": object.union(delete_trail.userIdentity, {"invokedBy": "cloudformation.amazonaws.com"}),
		"sourceIPAddress": "cloudformation.amazonaws.com",
		"userAgent": "cloudformation.amazonaws.com",
	})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

test_alert_denied_deletion_is_medium if {
	rec := test.patched(delete_trail, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: cloudtrail:DeleteTrail on resource: arn:aws:cloudtrail:us-east-1:111122223333:trail/management-trail"})
	test.one(rule.alert).severity == "MEDIUM" with input as rec
}

test_no_alert_trail_created if {
	count(rule.alert) == 0 with input as test.patched(delete_trail, {"eventName": "CreateTrail"})
}

test_no_alert_deleting_a_missing_trail if {
	count(rule.alert) == 0 with input as test.patched(delete_trail, {"errorCode": "TrailNotFoundException", "errorMessage": "Unknown trail"})
}

test_no_alert_other_service_delete if {
	count(rule.alert) == 0 with input as test.patched(delete_trail, {"eventSource": "cloudtrail-data.amazonaws.com"})
}
