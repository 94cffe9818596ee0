package builtin.events.detector_rule_tampered_test

import data.builtin.events.detector_rule_tampered as rule
import data.lib.test

# A DeleteRule record as CloudTrail writes it (assumed role, CLI).
delete_rule := test.patched(test.events_call("DeleteRule", test.assumed_role("Developer", "erin"), {"name": "trailhound-DetectorRule-1A2B3C4D", "force": false}), {"sourceIPAddress": "203.0.113.66"})

test_alert_detector_rule_deleted if {
	f := test.one(rule.alert) with input as delete_rule
	f.severity == "CRITICAL"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 deleted EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound."
	f.target == {"rule_name": "trailhound-DetectorRule-1A2B3C4D", "event_bus_name": "default"}
	not f.context.disabled_rule_name
}

test_alert_detector_rule_disabled_on_custom_bus if {
	rec := test.patched(delete_rule, {
		"eventName": "DisableRule",
		"requestParameters": {"name": "trailhound-TamperWatch-9Z8Y", "eventBusName": "arn:aws:events:us-east-1:111122223333:event-bus/security"},
	})
	f := test.one(rule.alert) with input as rec
	f.target == {"rule_name": "trailhound-TamperWatch-9Z8Y", "event_bus_name": "security"}
	f.context.disabled_rule_name == "trailhound-TamperWatch-9Z8Y"
}

test_alert_targets_removed if {
	rec := test.patched(delete_rule, {
		"eventName": "RemoveTargets",
		"requestParameters": {"rule": "trailhound-DetectorRule-1A2B3C4D", "ids": ["DetectorFunction"], "force": false},
		"responseElements": {"failedEntryCount": 0, "failedEntries": []},
	})
	f := test.one(rule.alert) with input as rec
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 removed targets from EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound."
	f.context.removed_target_ids == ["DetectorFunction"]
}

test_alert_member_account_forwarding_rule if {
	rec := test.patched(delete_rule, {"requestParameters": {"name": "StackSet-trailhound-forwarding-5f0c-ForwardRule-QW12ER34TY56"}})
	test.one(rule.alert).target.rule_name == "StackSet-trailhound-forwarding-5f0c-ForwardRule-QW12ER34TY56" with input as rec
}

test_alert_stack_delete_is_high if {
	rec := test.patched(delete_rule, {"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"})
	test.one(rule.alert).severity == "HIGH" with input as rec
}

test_alert_denied_attempt_is_medium if {
	rec := test.patched(delete_rule, {"errorCode": "AccessDeniedException", "errorMessage": "User: arn:aws:sts::111122223333:assumed-role/Developer/erin is not authorized to perform: events:DeleteRule on resource: arn:aws:events:us-east-1:111122223333:rule/trailhound-DetectorRule-1A2B3C4D"})
	f := test.one(rule.alert) with input as rec
	f.severity == "MEDIUM"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 tried to delete EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound (denied: AccessDeniedException)."
}

test_no_alert_other_applications_rule if {
	count(rule.alert) == 0 with input as test.patched(delete_rule, {"requestParameters": {"name": "nightly-report-schedule"}})
	count(rule.alert) == 0 with input as test.patched(delete_rule, {"requestParameters": {"name": "copy-of-trailhound-rule"}})
}

test_no_alert_enable_rule if {
	count(rule.alert) == 0 with input as test.patched(delete_rule, {"eventName": "EnableRule"})
}

# PutRule rewriting the detector rule's pattern so it matches nothing.
put_rule := test.patched(delete_rule, {
	"eventName": "PutRule",
	"requestParameters": {"name": "trailhound-DetectorRule-1A2B3C4D", "eventPattern": "{\"source\":[\"aws.nothing\"]}", "state": "ENABLED"},
	"responseElements": {"ruleArn": "arn:aws:events:us-east-1:111122223333:rule/trailhound-DetectorRule-1A2B3C4D"},
})

test_alert_detector_rule_pattern_rewritten if {
	f := test.one(rule.alert) with input as put_rule
	f.severity == "CRITICAL"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 rewrote (pattern, schedule or state) EventBridge rule trailhound-DetectorRule-1A2B3C4D on bus default in us-east-1, which feeds trailhound."
	f.context.event_pattern == "{\"source\":[\"aws.nothing\"]}"
	f.context.rule_state == "ENABLED"
}

test_alert_cloudformation_put_rule_is_stepped_down if {
	rec := test.patched(put_rule, {"userIdentity": object.union(put_rule.userIdentity, {"invokedBy": "cloudformation.amazonaws.com"})})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	count(f.context.step_down_reasons) == 1
}

test_no_alert_put_rule_of_another_application if {
	count(rule.alert) == 0 with input as test.patched(put_rule, {"requestParameters": {"name": "orders-nightly", "eventPattern": "{}"}})
}

test_alert_targets_put_on_detector_rule if {
	rec := test.patched(delete_rule, {
		"eventName": "PutTargets",
		"requestParameters": {"rule": "trailhound-DetectorRule-1A2B3C4D", "targets": [{"id": "DetectorFunction", "arn": "arn:aws:lambda:us-east-1:444455556666:function:collector"}]},
		"responseElements": {"failedEntryCount": 0, "failedEntries": []},
	})
	f := test.one(rule.alert) with input as rec
	f.severity == "HIGH"
	f.context.target_arns == ["arn:aws:lambda:us-east-1:444455556666:function:collector"]
	count(f.context.step_down_reasons) == 1
}

# The central bus's permissions.
remove_permission := test.patched(delete_rule, {
	"eventName": "RemovePermission",
	"requestParameters": {"eventBusName": "trailhound-central", "statementId": "OrganizationPutEvents"},
})

test_alert_central_bus_permission_removed if {
	f := test.one(rule.alert) with input as remove_permission
	f.severity == "CRITICAL"
	f.msg == "Developer/erin (AssumedRole) from 203.0.113.66 removed permission OrganizationPutEvents of event bus trailhound-central in us-east-1, which carries member accounts' events to trailhound."
	f.target == {"event_bus_name": "trailhound-central"}
	f.context.tampered_bus_name == "trailhound-central"
}

test_alert_central_bus_policy_replaced_or_widened if {
	replaced := test.one(rule.alert) with input as test.patched(remove_permission, {"eventName": "PutPermission", "requestParameters": {"eventBusName": "trailhound-central", "policy": "{}"}})
	replaced.severity == "CRITICAL"
	granted := test.one(rule.alert) with input as test.patched(remove_permission, {"eventName": "PutPermission", "requestParameters": {"eventBusName": "trailhound-central", "action": "events:PutEvents", "principal": "*", "statementId": "open"}})
	granted.severity == "HIGH"
	contains(granted.msg, "granted * events:PutEvents")
}

test_alert_central_bus_permission_change_denied if {
	f := test.one(rule.alert) with input as test.patched(remove_permission, {"errorCode": "AccessDeniedException", "errorMessage": "not authorized"})
	f.severity == "MEDIUM"
}

test_no_alert_other_buses_permissions if {
	count(rule.alert) == 0 with input as test.patched(remove_permission, {"requestParameters": {"statementId": "x"}})
	count(rule.alert) == 0 with input as test.patched(remove_permission, {"requestParameters": {"eventBusName": "orders-bus", "statementId": "x"}})
}

test_no_alert_deleting_a_missing_rule if {
	count(rule.alert) == 0 with input as test.patched(delete_rule, {"errorCode": "ResourceNotFoundException", "errorMessage": "Rule trailhound-DetectorRule-1A2B3C4D does not exist."})
}
