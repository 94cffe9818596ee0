# METADATA
# title: trailhound's EventBridge rule or central bus tampered with
# description: |
#   DeleteRule, DisableRule, RemoveTargets, PutRule (which can rewrite the rule's pattern so
#   it matches nothing, or set it DISABLED) or PutTargets (which can replace the detector's
#   target) hit an EventBridge rule that feeds trailhound: one whose name starts with
#   trailhound or StackSet-trailhound, as the deploy templates name them (see lib.detector:
#   DetectorRule, CentralRule, the member accounts' ForwardRule); or PutPermission or
#   RemovePermission changed the resource policy of the detector's central bus, which decides
#   which accounts may forward their events to it. Without the rule, its target or the bus
#   permission, CloudTrail events stop reaching the detector: nothing is evaluated and nothing
#   alerts. Rules and buses of other applications are not reported.
#
#   CRITICAL for a deleted, disabled or rewritten rule, removed targets, a removed bus
#   permission or a replaced bus policy; HIGH for new targets or a new bus permission (the
#   detector's target and the forwarding may still be in place); one step lower when
#   CloudFormation made the call (a stack update or delete); MEDIUM when the call was denied.
#
#   A detector cannot see the event that cuts its own feed if that event travelled on the
#   removed rule: this rule sees a member account's ForwardRule removed only while another
#   path still carries that account's events.amazonaws.com events (for example a second
#   rule, or an organization trail replayed with detector replay).
# custom:
#   id: TH-EVB-001
#   version: 1
#   severity: CRITICAL
#   events:
#     - events.amazonaws.com:DeleteRule
#     - events.amazonaws.com:DisableRule
#     - events.amazonaws.com:RemoveTargets
#     - events.amazonaws.com:PutRule
#     - events.amazonaws.com:PutTargets
#     - events.amazonaws.com:PutPermission
#     - events.amazonaws.com:RemovePermission
#   attack: ["TA0005:T1562.001"]
#   compliance:
#     nist-sp-800-53-r5: ["SI-4", "AU-9"]
#   references:
#     - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DeleteRule.html
#     - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DisableRule.html
#     - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RemoveTargets.html
#     - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
#     - https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html
#     - https://docs.aws.amazon.com/eventbridge/latest/userguide/logging-using-cloudtrail.html
#   dedup: {window: 1h, by: [target.rule_name, target.event_bus_name, event.name]}
#   remediation:
#     summary: >-
#       Restore the detector's feed at once (enable the rule, or redeploy the stack that
#       defines the rule and its target), contain the caller unless the change was approved,
#       and replay the events the detector missed.
#     containment:
#       - title: Give the member accounts back their permission to forward to the central bus (redeploy the trailhound stack; its template grants the organization events:PutEvents on the bus)
#         console:
#           - "CloudFormation console in {{event.region}} > the trailhound stack > Update > Use current template; then EventBridge > Event buses > {{context.tampered_bus_name}} > Permissions shows the organization's statement again"
#         cli:
#           - "aws events describe-event-bus --name {{context.tampered_bus_name}} --region {{event.region}}"
#       - title: Re-enable a disabled rule
#         console:
#           - "EventBridge console in {{event.region}} > Rules > bus {{target.event_bus_name}} > {{target.rule_name}} > Enable"
#         cli:
#           - "aws events enable-rule --name {{context.disabled_rule_name}} --event-bus-name {{target.event_bus_name}} --region {{event.region}}"
#       - title: Recreate a deleted rule or its removed targets by redeploying the trailhound stack
#         console:
#           - "CloudFormation console in {{event.region}} > the trailhound stack > Update > Use current template (or sam deploy from the release); drift detection shows what was removed"
#         cli:
#           - "aws events describe-rule --name {{target.rule_name}} --event-bus-name {{target.event_bus_name}} --region {{event.region}}"
#           - "aws events list-targets-by-rule --rule {{target.rule_name}} --event-bus-name {{target.event_bus_name}} --region {{event.region}}"
#       - title: If the change was not approved, contain the caller (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the change was not approved, contain the caller (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the change was not approved, contain the caller (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the change was not approved, contain the caller (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Replay what the detector missed
#         console:
#           - "Run detector replay over the trail's S3 logs from {{event.time}} until the feed was restored, so events that arrived while the rule was gone are evaluated"
#         cli:
#           - "aws events list-rules --event-bus-name {{target.event_bus_name}} --region {{event.region}}"
#     backout:
#       - title: The change was approved; disable the rule again
#         cli:
#           - "aws events disable-rule --name {{context.disabled_rule_name}} --event-bus-name {{target.event_bus_name}} --region {{event.region}}"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Check for an approved trailhound deployment or teardown at {{event.time}} (context.via_cloudformation tells whether a stack made the call); otherwise treat {{actor.arn}} as compromised."
#     - "Bound the blind window: from {{event.time}} until the rule and its target are back (EnableRule, PutRule or PutTargets events, or the stack update). Every alert the detector would have raised in that window is missing."
#     - "List what the caller did around the change, here and in us-east-1 for IAM: aws cloudtrail lookup-events --region {{event.region}} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}. Attackers blind the detector right before acting."
#     - "Check the detector's other paths in the same window: the Lambda function (DeleteFunction20150331, UpdateFunctionCode20150331v2, PutFunctionConcurrency20171031) and the trails (StopLogging, DeleteTrail, PutEventSelectors)."
package builtin.events.detector_rule_tampered

import data.lib.cloudtrail as ct
import data.lib.detector
import data.lib.severity

alert contains finding if {
	input.eventSource == "events.amazonaws.com"
	detector.is_detector_rule(rule_name)
	ct.success
	action := _action[input.eventName]

	finding := {
		"msg": sprintf("%s %s EventBridge rule %s on bus %s in %s, which feeds trailhound.", [ct.summary_phrase, action, rule_name, bus_name, _region]),
		"target": {"rule_name": rule_name, "event_bus_name": bus_name},
		"severity": _success_severity,
		"context": object.union(ct.caller_context, _extra_context),
	}
}

alert contains finding if {
	input.eventSource == "events.amazonaws.com"
	_action[input.eventName]
	detector.is_detector_rule(rule_name)
	input.errorCode
	ct.denied

	finding := {
		"msg": sprintf("%s tried to %s EventBridge rule %s on bus %s in %s, which feeds trailhound (denied: %s).", [ct.summary_phrase, _attempt[input.eventName], rule_name, bus_name, _region, ct.error_code]),
		"target": {"rule_name": rule_name, "event_bus_name": bus_name},
		"severity": "MEDIUM",
		"context": object.union(ct.caller_context, _extra_context),
	}
}

# The central bus's permissions: which accounts may forward events to the detector.
alert contains finding if {
	input.eventSource == "events.amazonaws.com"
	_bus_action[input.eventName]
	detector.is_detector_bus(_bus_param)
	ct.success

	finding := {
		"msg": sprintf("%s %s of event bus %s in %s, which carries member accounts' events to trailhound.", [ct.summary_phrase, _bus_effect, bus_name, _region]),
		"target": {"event_bus_name": bus_name},
		"severity": _success_severity,
		"context": object.union(ct.caller_context, _extra_context),
	}
}

alert contains finding if {
	input.eventSource == "events.amazonaws.com"
	_bus_action[input.eventName]
	detector.is_detector_bus(_bus_param)
	input.errorCode
	ct.denied

	finding := {
		"msg": sprintf("%s tried to change the permissions of event bus %s in %s, which carries member accounts' events to trailhound (denied: %s).", [ct.summary_phrase, bus_name, _region, ct.error_code]),
		"target": {"event_bus_name": bus_name},
		"severity": "MEDIUM",
		"context": object.union(ct.caller_context, _extra_context),
	}
}

_action := {
	"DeleteRule": "deleted",
	"DisableRule": "disabled",
	"RemoveTargets": "removed targets from",
	"PutRule": "rewrote (pattern, schedule or state)",
	"PutTargets": "put targets on",
}

_attempt := {
	"DeleteRule": "delete",
	"DisableRule": "disable",
	"RemoveTargets": "remove targets from",
	"PutRule": "rewrite",
	"PutTargets": "put targets on",
}

_bus_action := {"PutPermission", "RemovePermission"}

_bus_param := object.get(input, ["requestParameters", "eventBusName"], "")

# _bus_effect says what the permission call did: a whole policy replaced, a statement
# removed (all of them with removeAllPermissions), or a principal added.
_bus_effect := "replaced the resource policy" if {
	input.eventName == "PutPermission"
	input.requestParameters.policy
} else := sprintf("granted %v events:PutEvents", [input.requestParameters.principal]) if {
	input.eventName == "PutPermission"
	ct.present(input.requestParameters.principal)
} else := "added a permission to the resource policy" if {
	input.eventName == "PutPermission"
} else := "removed every permission" if {
	input.requestParameters.removeAllPermissions == true
} else := sprintf("removed permission %v", [input.requestParameters.statementId]) if {
	ct.present(input.requestParameters.statementId)
} else := "removed a permission"

# rule_name is the rule the call named: Name for DeleteRule, DisableRule and PutRule, Rule
# for RemoveTargets and PutTargets.
rule_name := n if {
	n := input.requestParameters.name
	ct.present(n)
} else := n if {
	n := input.requestParameters.rule
	ct.present(n)
}

# bus_name is the event bus the rule lives on ("default" when the call named none).
bus_name := detector.bus_name(object.get(input, ["requestParameters", "eventBusName"], ""))

_region := r if {
	r := input.awsRegion
	ct.present(r)
} else := "an unknown region"

# _base_severity: what the call can do to the feed. New targets or a new bus permission leave
# the detector's own target and the forwarding in place; the rest cut or rewrite the feed.
_base_severity := "HIGH" if {
	input.eventName == "PutTargets"
} else := "HIGH" if {
	input.eventName == "PutPermission"
	not input.requestParameters.policy
} else := "CRITICAL"

_success_severity := _base_severity if {
	ct.via_cloudformation == false
} else := severity.step_down(_base_severity)

_step_downs contains "new targets or a new bus permission: the detector's own target and the forwarding may still be in place" if {
	ct.success
	_base_severity == "HIGH"
}

_step_downs contains ct.cloudformation_step_down if ct.success

_step_downs contains sprintf("the call was denied (%s): nothing changed", [ct.error_code]) if {
	input.errorCode
	ct.denied
}

# _extra_context: tampered_bus_name gates the command that shows the central bus's policy,
# disabled_rule_name the enable-rule command (set only for DisableRule).
_extra_context := {k: v |
	some [k, vs] in [
		["via_cloudformation", [ct.via_cloudformation]],
		["step_down_reasons", [sort(_step_downs) | count(_step_downs) > 0]],
		["tampered_bus_name", [bus_name | _bus_action[input.eventName]]],
		["event_pattern", [x | x := _event_pattern]],
		["rule_state", [x | x := _rule_state]],
		["target_arns", [x | x := _target_arns]],
		["disabled_rule_name", [rule_name | input.eventName == "DisableRule"]],
		["removed_target_ids", [x | x := _removed_target_ids]],
	]
	some v in vs
}

_event_pattern := p if {
	input.eventName == "PutRule"
	p := input.requestParameters.eventPattern
	is_string(p)
}

_rule_state := st if {
	input.eventName == "PutRule"
	st := input.requestParameters.state
	is_string(st)
}

_target_arns := arns if {
	input.eventName == "PutTargets"
	arns := [t.arn | some t in input.requestParameters.targets; is_string(t.arn)]
}

_removed_target_ids := ids if {
	input.eventName == "RemoveTargets"
	ids := [id | some id in input.requestParameters.ids; is_string(id)]
}
