package builtin.events.detector_rule_tampered_test

import data.builtin.events.detector_rule_tampered as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

# A DeleteRule record as CloudTrail writes it (assumed role, CLI).
delete_rule := {
	"eventVersion": "1.09",
	"userIdentity": {
		"type": "AssumedRole",
		"principalId": "AROAEXAMPLEDEV000001:erin",
		"arn": "arn:aws:sts::111122223333:assumed-role/Developer/erin",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLESESSION01",
		"sessionContext": {
			"sessionIssuer": {
				"type": "Role",
				"principalId": "AROAEXAMPLEDEV000001",
				"arn": "arn:aws:iam::111122223333:role/Developer",
				"accountId": "111122223333",
				"userName": "Developer",
			},
			"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
		},
	},
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "events.amazonaws.com",
	"eventName": "DeleteRule",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "203.0.113.66",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"requestParameters": {"name": "trailhound-DetectorRule-1A2B3C4D", "force": false},
	"responseElements": null,
	"requestID": "a3b4c5d6-e7f8-4091-a2b3-c4d5e6f70819",
	"eventID": "2b3c4d5e-6f70-4819-a2b3-c4d5e6f70819",
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

test_alert_detector_rule_deleted if {
	f := one(delete_rule)
	f.severity == "CRITICAL"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 deleted EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound."
	f.target == {"rule_name": "trailhound-DetectorRule-1A2B3C4D", "event_bus_name": "default"}
	not f.context.disabled_rule_name
}

test_alert_detector_rule_disabled_on_custom_bus if {
	rec := patched(delete_rule, {
		"eventName": "DisableRule",
		"requestParameters": {"name": "trailhound-TamperWatch-9Z8Y", "eventBusName": "arn:aws:events:us-east-1:111122223333:event-bus/security"},
	})
	f := one(rec)
	f.target == {"rule_name": "trailhound-TamperWatch-9Z8Y", "event_bus_name": "security"}
	f.context.disabled_rule_name == "trailhound-TamperWatch-9Z8Y"
}

test_alert_targets_removed if {
	rec := patched(delete_rule, {
		"eventName": "RemoveTargets",
		"requestParameters": {"rule": "trailhound-DetectorRule-1A2B3C4D", "ids": ["DetectorFunction"], "force": false},
		"responseElements": {"failedEntryCount": 0, "failedEntries": []},
	})
	f := one(rec)
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 removed targets from EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound."
	f.context.removed_target_ids == ["DetectorFunction"]
}

test_alert_member_account_forwarding_rule if {
	rec := patched(delete_rule, {"requestParameters": {"name": "StackSet-trailhound-forwarding-5f0c-ForwardRule-QW12ER34TY56"}})
	one(rec).target.rule_name == "StackSet-trailhound-forwarding-5f0c-ForwardRule-QW12ER34TY56"
}

test_alert_stack_delete_is_high if {
	rec := patched(delete_rule, {"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	one(rec).severity == "HIGH"
}

test_alert_denied_attempt_is_medium if {
	rec := patched(delete_rule, {"errorCode": "AccessDeniedException", "errorMessage": "User: arn:aws:sts::111122223333:assumed-role/Developer/erin is not authorized to perform: events:DeleteRule on resource: arn:aws:events:us-east-1:111122223333:rule/trailhound-DetectorRule-1A2B3C4D"})
	f := one(rec)
	f.severity == "MEDIUM"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 tried to delete EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound (denied: AccessDeniedException)."
}

test_no_alert_other_applications_rule if {
	count(rule.alert) == 0 with input as patched(delete_rule, {"requestParameters": {"name": "nightly-report-schedule"}})
	count(rule.alert) == 0 with input as patched(delete_rule, {"requestParameters": {"name": "copy-of-trailhound-rule"}})
}

test_no_alert_enable_rule if {
	count(rule.alert) == 0 with input as patched(delete_rule, {"eventName": "EnableRule"})
}

# PutRule rewriting the detector rule's pattern so it matches nothing.
put_rule := patched(delete_rule, {
	"eventName": "PutRule",
	"requestParameters": {"name": "trailhound-DetectorRule-1A2B3C4D", "eventPattern": "{\"source\":[\"aws.nothing\"]}", "state": "ENABLED"},
	"responseElements": {"ruleArn": "arn:aws:events:us-east-1:111122223333:rule/trailhound-DetectorRule-1A2B3C4D"},
})

test_alert_detector_rule_pattern_rewritten if {
	f := one(put_rule)
	f.severity == "CRITICAL"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 rewrote (pattern, schedule or state) EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound."
	f.context.event_pattern == "{\"source\":[\"aws.nothing\"]}"
	f.context.rule_state == "ENABLED"
}

test_alert_cloudformation_put_rule_is_stepped_down if {
	rec := patched(put_rule, {"userIdentity": object.union(put_rule.userIdentity, {"invokedBy": "cloudformation.amazonaws.com"})})
	f := one(rec)
	f.severity == "HIGH"
	count(f.context.step_down_reasons) == 1
}

test_no_alert_put_rule_of_another_application if {
	count(rule.alert) == 0 with input as patched(put_rule, {"requestParameters": {"name": "orders-nightly", "eventPattern": "{}"}})
}

test_alert_targets_put_on_detector_rule if {
	rec := patched(delete_rule, {
		"eventName": "PutTargets",
		"requestParameters": {"rule": "trailhound-DetectorRule-1A2B3C4D", "targets": [{"id": "DetectorFunction", "arn": "arn:aws:lambda:us-east-1:444455556666:function:collector"}]},
		"responseElements": {"failedEntryCount": 0, "failedEntries": []},
	})
	f := one(rec)
	f.severity == "HIGH"
	f.context.target_arns == ["arn:aws:lambda:us-east-1:444455556666:function:collector"]
	count(f.context.step_down_reasons) == 1
}

# The central bus's permissions.
remove_permission := patched(delete_rule, {
	"eventName": "RemovePermission",
	"requestParameters": {"eventBusName": "trailhound-central", "statementId": "OrganizationPutEvents"},
})

test_alert_central_bus_permission_removed if {
	f := one(remove_permission)
	f.severity == "CRITICAL"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 removed permission OrganizationPutEvents of event bus trailhound-central in us-east-1, which carries member accounts' events to trailhound."
	f.target == {"event_bus_name": "trailhound-central"}
	f.context.tampered_bus_name == "trailhound-central"
}

test_alert_central_bus_policy_replaced_or_widened if {
	replaced := one(patched(remove_permission, {"eventName": "PutPermission", "requestParameters": {"eventBusName": "trailhound-central", "policy": "{}"}}))
	replaced.severity == "CRITICAL"
	granted := one(patched(remove_permission, {"eventName": "PutPermission", "requestParameters": {"eventBusName": "trailhound-central", "action": "events:PutEvents", "principal": "*", "statementId": "open"}}))
	granted.severity == "HIGH"
	contains(granted.msg, "granted * events:PutEvents")
}

test_alert_central_bus_permission_change_denied if {
	f := one(patched(remove_permission, {"errorCode": "AccessDeniedException", "errorMessage": "not authorized"}))
	f.severity == "MEDIUM"
}

test_no_alert_other_buses_permissions if {
	count(rule.alert) == 0 with input as patched(remove_permission, {"requestParameters": {"statementId": "x"}})
	count(rule.alert) == 0 with input as patched(remove_permission, {"requestParameters": {"eventBusName": "orders-bus", "statementId": "x"}})
}

test_no_alert_deleting_a_missing_rule if {
	count(rule.alert) == 0 with input as patched(delete_rule, {"errorCode": "ResourceNotFoundException", "errorMessage": "Rule trailhound-DetectorRule-1A2B3C4D does not exist."})
}
