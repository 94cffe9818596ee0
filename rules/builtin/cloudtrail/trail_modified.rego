# METADATA
# title: CloudTrail trail configuration weakened or changed
# description: |
#   UpdateTrail or PutEventSelectors changed what a trail records or where it delivers.
#   CRITICAL when the change blinds trailhound: management write events no longer logged
#   (the Stratus Red Team "cloudtrail-event-selectors" technique) or global service events
#   turned off (every IAM event is a global service event); HIGH for other weakening
#   (single-region, log file validation off, another S3 bucket, CloudWatch Logs or KMS key
#   changed); MEDIUM for other changes, e.g. adding data-event selectors or an SNS topic.
#   One step lower when CloudFormation made the call; MEDIUM when the call was denied.
#   StopLogging and DeleteTrail are TH-CT-001 and TH-CT-002.
# custom:
#   id: TH-CT-003
#   version: 1
#   severity: HIGH
#   events:
#     - cloudtrail.amazonaws.com:UpdateTrail
#     - cloudtrail.amazonaws.com:PutEventSelectors
#   attack: ["TA0005:T1562.008"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["3.1", "3.2", "4.5"]
#     nist-sp-800-53-r5: ["AU-9", "AU-12"]
#   references:
#     - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_UpdateTrail.html
#     - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html
#     - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
#     - https://attack.mitre.org/techniques/T1562/008/
#   dedup: {window: 1h, by: [target.trail_name, event.name]}
#   remediation:
#     summary: >-
#       Put back what the change turned off (the commands below appear only for what this
#       event turned off), contain the caller unless the change was approved, and compare the
#       trail with its template.
#     containment:
#       - title: >-
#           Log management events again (this replaces every selector on the trail: add back
#           any data-event selectors you still need)
#         console:
#           - "CloudTrail console in {{event.region}} > Trails > {{context.trail_short_name}} > Management events > Edit > API activity: Read and Write"
#         cli:
#           - "aws cloudtrail put-event-selectors --trail-name {{context.management_events_dropped_trail}} --event-selectors ReadWriteType=All,IncludeManagementEvents=true --region {{event.region}}"
#       - title: Log global service events (IAM, STS) again
#         cli:
#           - "aws cloudtrail update-trail --name {{context.global_events_dropped_trail}} --include-global-service-events --region {{event.region}}"
#       - title: Cover all regions again
#         cli:
#           - "aws cloudtrail update-trail --name {{context.single_region_trail}} --is-multi-region-trail --include-global-service-events --region {{event.region}}"
#       - title: Turn log file validation back on
#         cli:
#           - "aws cloudtrail update-trail --name {{context.validation_off_trail}} --enable-log-file-validation --region {{event.region}}"
#       - title: >-
#           Deliver to the former S3 bucket, CloudWatch Logs group or KMS key again (the
#           former values are in the trail's CreateTrail event or its previous UpdateTrail)
#         console:
#           - "Run aws cloudtrail update-trail --name {{context.trail_short_name}} --s3-bucket-name FORMER_BUCKET --region {{event.region}} (or --cloud-watch-logs-log-group-arn, --cloud-watch-logs-role-arn, --kms-key-id with their former values)"
#         cli:
#           - "aws cloudtrail describe-trails --trail-name-list {{target.trail_name}} --region {{event.region}}"
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
#       - title: Compare the trail with its template
#         cli:
#           - "aws cloudtrail get-event-selectors --trail-name {{target.trail_name}} --region {{event.region}}"
#           - "aws cloudtrail get-trail-status --name {{target.trail_name}} --region {{event.region}}"
#     backout:
#       - title: The change was approved; apply the requested configuration again from its template or change record
#         console:
#           - "Redeploy the template that defines {{context.trail_short_name}}, or repeat the approved {{event.name}} call"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Read the request: requestParameters of this {{event.name}} show exactly what changed on {{context.trail_short_name}} (context.weakening summarises it). Check for an approved change."
#     - "If management or global service events were dropped, the detector was blind from {{event.time}} until the fix: review CloudTrail Event history for that window (aws cloudtrail lookup-events --region us-east-1 --start-time {{event.time}}) and replay it through trailhound once the trail delivers again."
#     - "If logs now go to another bucket, find who owns it (its account) and whether the former bucket's policy or lifecycle changed in the same window (PutBucketPolicy, PutBucketLifecycleConfiguration)."
#     - "List what the caller did around the change: aws cloudtrail lookup-events --region {{event.region}} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}."
package builtin.cloudtrail.trail_modified

import data.lib.cloudtrail as ct
import data.lib.severity
import data.lib.trail

watched := {"UpdateTrail", "PutEventSelectors"}

alert contains finding if {
	input.eventSource == "cloudtrail.amazonaws.com"
	watched[input.eventName]
	ct.success

	finding := {
		"msg": sprintf("%s %s CloudTrail trail %s in %s%s.", [ct.summary_phrase, _verb, trail.display_name, _region, _what]),
		"target": _target,
		"severity": _success_severity,
		"context": object.union(ct.caller_context, _extra_context),
	}
}

alert contains finding if {
	input.eventSource == "cloudtrail.amazonaws.com"
	watched[input.eventName]
	input.errorCode
	ct.denied

	finding := {
		"msg": sprintf("%s tried to change CloudTrail trail %s in %s with %s (denied: %s).", [ct.summary_phrase, trail.display_name, _region, input.eventName, ct.error_code]),
		"target": _target,
		"severity": "MEDIUM",
		"context": object.union(ct.caller_context, _extra_context),
	}
}

_verb := "changed the event selectors of" if {
	input.eventName == "PutEventSelectors"
} else := "updated"

_what := sprintf(": %s", [concat("; ", sort(trail.weakening))]) if {
	count(trail.weakening) > 0
} else := ""

_region := r if {
	r := input.awsRegion
	ct.present(r)
} else := "an unknown region"

_base_severity := "CRITICAL" if {
	trail.blinds_detector
} else := "HIGH" if {
	count(trail.weakening) > 0
} else := "MEDIUM"

_success_severity := severity.step_down(_base_severity) if {
	ct.via_cloudformation
} else := _base_severity

_target := {"trail_name": n | n := trail.name}

# _extra_context holds escalation_reasons and step_down_reasons, the reasons for a severity
# other than the rule's HIGH (Alert v1 severity_reasons), and the keys that gate the restore
# commands (*_trail): each is set only when this event turned that off.
_extra_context := {k: v |
	some [k, vs] in [
		["trail_short_name", [x | x := trail.short_name(trail.name)]],
		["via_cloudformation", [ct.via_cloudformation]],
		["escalation_reasons", [[_blinds_reason] | ct.success; trail.blinds_detector]],
		["step_down_reasons", [sort(_step_downs) | count(_step_downs) > 0]],
		["weakening", [sort(trail.weakening)]],
		["blinds_detector", [trail.blinds_detector]],
		["management_events_dropped_trail", [trail.name | trail.management_events_dropped]],
		["global_events_dropped_trail", [trail.name | input.requestParameters.includeGlobalServiceEvents == false]],
		["single_region_trail", [trail.name | input.requestParameters.isMultiRegionTrail == false]],
		["validation_off_trail", [trail.name | input.requestParameters.enableLogFileValidation == false]],
	]
	some v in vs
}

_blinds_reason := "the change blinds the detector: management write events or IAM's global service events are no longer logged where it reads them"

_step_downs contains "nothing in the change weakens the trail's coverage or integrity" if {
	ct.success
	count(trail.weakening) == 0
}

_step_downs contains ct.cloudformation_step_down if ct.success

_step_downs contains sprintf("the call was denied (%s): nothing changed", [ct.error_code]) if {
	input.errorCode
	ct.denied
}
