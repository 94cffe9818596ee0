# METADATA
# title: CloudTrail logging stopped
# description: |
#   StopLogging turned a trail off. Until logging resumes, nothing the trail covers reaches
#   its S3 bucket, CloudWatch Logs or EventBridge-fed detectors such as trailhound: a classic
#   first step before acting unobserved. CRITICAL; HIGH when CloudFormation made the call
#   (a stack update that sets IsLogging false); MEDIUM when the call was denied (an attempt).
#   Stopping a trail in its home region stops it everywhere; this event is regional, so the
#   detector must receive cloudtrail.amazonaws.com events from every region.
# custom:
#   id: TH-CT-001
#   version: 1
#   severity: CRITICAL
#   events:
#     - cloudtrail.amazonaws.com:StopLogging
#   attack: ["TA0005:T1562.008"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["3.1", "4.5"]
#     nist-sp-800-53-r5: ["AU-5", "AU-9", "AU-12"]
#   references:
#     - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html
#     - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-turning-off-logging.html
#     - https://attack.mitre.org/techniques/T1562/008/
#   dedup: {window: 1h, by: [target.trail_name]}
#   remediation:
#     summary: >-
#       Turn logging back on at once, then contain the caller unless the stop was an approved
#       change, and review what happened while the trail was off.
#     containment:
#       - title: Turn logging back on
#         console:
#           - "CloudTrail console in {{event.region}} > Trails > {{context.trail_short_name}} > Logging: turn on"
#         cli:
#           - "aws cloudtrail start-logging --name {{target.trail_name}} --region {{event.region}}"
#           - "aws cloudtrail get-trail-status --name {{target.trail_name}} --region {{event.region}}"
#       - title: If the stop was not approved, contain the caller (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the stop was not approved, contain the caller (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the stop was not approved, contain the caller (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the stop was not approved, contain the caller (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Check the trail's configuration and the other trails
#         cli:
#           - "aws cloudtrail describe-trails --region {{event.region}}"
#           - "aws cloudtrail get-event-selectors --trail-name {{target.trail_name}} --region {{event.region}}"
#       - title: >-
#           Keep it from happening again: an SCP that denies cloudtrail:StopLogging,
#           DeleteTrail, UpdateTrail and PutEventSelectors to everyone but the security team's role
#         console:
#           - "AWS Organizations > Policies > Service control policies > attach a deny for those actions with a condition excluding the security role's ARN (aws:PrincipalArn)"
#     backout:
#       - title: The stop was an approved change; stop logging again
#         cli:
#           - "aws cloudtrail stop-logging --name {{target.trail_name}} --region {{event.region}}"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-turning-off-logging.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Check for an approved change that stopped {{context.trail_short_name}} at {{event.time}}; otherwise treat {{actor.arn}} as compromised."
#     - "Bound the gap: from {{event.time}} until logging resumed (get-trail-status StartLoggingTime, or the StartLogging event). The trail's bucket has nothing for the gap, but CloudTrail Event history keeps 90 days of management events per region: aws cloudtrail lookup-events --region REGION --start-time {{event.time}}."
#     - "List what the caller did before and after the stop: aws cloudtrail lookup-events --region {{event.region}} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; repeat in us-east-1 for IAM calls."
#     - "Look for the rest of the playbook in the same window: DeleteTrail, UpdateTrail, PutEventSelectors, the log bucket's PutBucketPolicy, PutBucketLifecycleConfiguration and DeleteObject calls, and GuardDuty, Config or Security Hub being disabled."
package builtin.cloudtrail.logging_stopped

import data.lib.cloudtrail as ct
import data.lib.severity
import data.lib.trail

alert contains finding if {
	input.eventSource == "cloudtrail.amazonaws.com"
	input.eventName == "StopLogging"
	ct.success

	finding := {
		"msg": sprintf("%s stopped logging on CloudTrail trail %s in %s.", [ct.summary_phrase, trail.display_name, _region]),
		"target": _target,
		"severity": _success_severity,
		"context": object.union(ct.caller_context, _extra_context),
	}
}

alert contains finding if {
	input.eventSource == "cloudtrail.amazonaws.com"
	input.eventName == "StopLogging"
	input.errorCode
	ct.denied

	finding := {
		"msg": sprintf("%s tried to stop logging on CloudTrail trail %s in %s (denied: %s).", [ct.summary_phrase, trail.display_name, _region, ct.error_code]),
		"target": _target,
		"severity": "MEDIUM",
		"context": object.union(ct.caller_context, _extra_context),
	}
}

_region := r if {
	r := input.awsRegion
	ct.present(r)
} else := "an unknown region"

_success_severity := severity.step_down("CRITICAL") if {
	ct.via_cloudformation
} else := "CRITICAL"

_target := {"trail_name": n | n := trail.name}

_extra_context := {k: v |
	some [k, vs] in [
		["trail_short_name", [x | x := trail.short_name(trail.name)]],
		["via_cloudformation", [ct.via_cloudformation]],
	]
	some v in vs
}
