package builtin.cloudtrail.logging_stopped_test

import data.builtin.cloudtrail.logging_stopped as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

# A StopLogging record as CloudTrail writes it (assumed role, CLI).
stop := {
	"eventVersion": "1.09",
	"userIdentity": {
		"type": "AssumedRole",
		"principalId": "AROAEXAMPLEOPS000001:dave",
		"arn": "arn:aws:sts::111122223333:assumed-role/Ops/dave",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLESESSION01",
		"sessionContext": {
			"sessionIssuer": {
				"type": "Role",
				"principalId": "AROAEXAMPLEOPS000001",
				"arn": "arn:aws:iam::111122223333:role/Ops",
				"accountId": "111122223333",
				"userName": "Ops",
			},
			"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
		},
	},
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "cloudtrail.amazonaws.com",
	"eventName": "StopLogging",
	"awsRegion": "eu-west-1",
	"sourceIPAddress": "203.0.113.66",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"requestParameters": {"name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail"},
	"responseElements": null,
	"requestID": "708192a3-b4c5-4d6e-97f8-091a2b3c4d5e",
	"eventID": "f8091a2b-3c4d-45e6-b7f8-091a2b3c4d5e",
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

test_alert_logging_stopped if {
	f := one(stop)
	f.severity == "CRITICAL"
	f.msg == "Ops/dave (AssumedRole) from 203.0.113.66 stopped logging on CloudTrail trail org-trail in eu-west-1."
	f.target == {"trail_name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail"}
	f.context.trail_short_name == "org-trail"
	f.context.actor_role_name == "Ops"
}

test_alert_logging_stopped_by_name if {
	f := one(patched(stop, {"requestParameters": {"name": "org-trail"}}))
	f.target.trail_name == "org-trail"
}

test_alert_via_cloudformation_is_high if {
	rec := patched(stop, {"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	f := one(rec)
	f.severity == "HIGH"
	f.context.via_cloudformation == true
}

test_alert_denied_attempt_is_medium if {
	rec := patched(stop, {
		"errorCode": "AccessDenied",
		"errorMessage": "User: arn:aws:sts::111122223333:assumed-role/Ops/dave is not authorized to perform: cloudtrail:StopLogging on resource: arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail with an explicit deny in a service control policy",
	})
	f := one(rec)
	f.severity == "MEDIUM"
	f.msg == "Ops/dave (AssumedRole) from 203.0.113.66 tried to stop logging on CloudTrail trail org-trail in eu-west-1 (denied: AccessDenied)."
}

test_no_alert_start_logging if {
	count(rule.alert) == 0 with input as patched(stop, {"eventName": "StartLogging"})
}

test_no_alert_stop_of_missing_trail if {
	rec := patched(stop, {"errorCode": "TrailNotFoundException", "errorMessage": "Unknown trail: arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail for the user: 111122223333"})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_get_trail_status if {
	count(rule.alert) == 0 with input as patched(stop, {"eventName": "GetTrailStatus", "readOnly": true})
}
