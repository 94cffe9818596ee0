package builtin.cloudtrail.logging_stopped_test

import data.builtin.cloudtrail.logging_stopped as rule
import data.lib.test

# A StopLogging record as CloudTrail writes it (assumed role, CLI).
stop := test.patched(test.cloudtrail_call("StopLogging", test.assumed_role("Ops", "dave"), {"name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail"}), {
	"awsRegion": "eu-west-1",
	"sourceIPAddress": "203.0.113.66",
})

test_alert_logging_stopped if {
	f := test.one(rule.alert) with input as stop
	f.severity == "CRITICAL"
	f.msg == "Ops/dave (AssumedRole) from 203.0.113.66 stopped logging on CloudTrail trail org-trail in eu-west-1."
	f.target == {"trail_name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail"}
	f.context.trail_short_name == "org-trail"
	f.context.actor_role_name == "Ops"
}

test_alert_logging_stopped_by_name if {
	f := test.one(rule.alert) with input as test.patched(stop, {"requestParameters": {"name": "org-trail"}})
	f.target.trail_name == "org-trail"
}

test_alert_via_cloudformation_is_high if {
	rec := test.patched(stop, {"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.context.via_cloudformation == true
}

test_alert_denied_attempt_is_medium if {
	rec := test.patched(stop, {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:sts::111122223333:assumed-role/Ops/dave is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail with an explicit deny in a service control policy",
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.msg == "Ops/dave (AssumedRole) from 203.0.113.66 tried to stop logging on CloudTrail trail org-trail in eu-west-1 (denied: AccessDenied)."
}

test_no_alert_start_logging if {
	count(rule.alert) == 0 with input as test.patched(stop, {"eventName": "StartLogging"})
}

test_no_alert_stop_of_missing_trail if {
	rec := test.patched(stop, {"errorCode": "TrailNotFoundException", "errorMessage": "Unknown trail: arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail for the user: 111122223333"})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_get_trail_status if {
	count(rule.alert) == 0 with input as test.patched(stop, {"eventName": "GetTrailStatus", "readOnly": true})
}
