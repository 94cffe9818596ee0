# METADATA
# title: CloudTrail trail deleted
# description: |
#   DeleteTrail removed a trail: it stops recording at once and its configuration is gone
#   (the logs already delivered stay in the S3 bucket). CRITICAL; HIGH when CloudFormation
#   made the call (a stack deleting a trail it owns); MEDIUM when the call was denied.
#   Regional event: the detector must receive cloudtrail.amazonaws.com events from every
#   region.
# custom:
#   id: TH-CT-002
#   version: 1
#   severity: CRITICAL
#   events:
#     - cloudtrail.amazonaws.com:DeleteTrail
#   attack: ["TA0005:T1562.008"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["3.1", "4.5"]
#     nist-sp-800-53-r5: ["AU-5", "AU-9", "AU-12"]
#   references:
#     - https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html
#     - https://docs.aws.amazon.com/cli/latest/reference/cloudtrail/delete-trail.html
#     - https://attack.mitre.org/techniques/T1562/008/
#   dedup: {window: 1h, by: [target.trail_name]}
#   remediation:
#     summary: >-
#       Contain the caller unless the deletion was approved, recreate the trail from the
#       template that defines it, and review what happened while nothing was recorded.
#     containment:
#       - title: If the deletion was not approved, contain the caller (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the deletion was not approved, contain the caller (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the deletion was not approved, contain the caller (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the deletion was not approved, contain the caller (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#       - title: >-
#           Recreate the trail: redeploy the template that defines it, or create it again with
#           its former bucket (in the trail's CreateTrail event, requestParameters.s3BucketName)
#         console:
#           - "Run aws cloudtrail create-trail --name {{context.trail_short_name}} --s3-bucket-name FORMER_BUCKET --is-multi-region-trail --include-global-service-events --enable-log-file-validation --region {{event.region}}, then aws cloudtrail start-logging --name {{context.trail_short_name}} --region {{event.region}}"
#         cli:
#           - "aws cloudtrail describe-trails --region {{event.region}}"
#     steps:
#       - title: Confirm the recreated trail is logging and covers all regions
#         cli:
#           - "aws cloudtrail get-trail-status --name {{context.trail_short_name}} --region {{event.region}}"
#           - "aws cloudtrail get-event-selectors --trail-name {{context.trail_short_name}} --region {{event.region}}"
#     backout:
#       - title: The deletion was approved; remove the recreated trail again
#         cli:
#           - "aws cloudtrail delete-trail --name {{context.trail_short_name}} --region {{event.region}}"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/cli/latest/reference/cloudtrail/create-trail.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Check for an approved change that deleted {{context.trail_short_name}} at {{event.time}} (a decommissioned account or a trail replaced by an organization trail); otherwise treat {{actor.arn}} as compromised."
#     - "Check what still records: aws cloudtrail describe-trails --include-shadow-trails in each region; an organization trail from the management account may still cover this account."
#     - "Review the gap from {{event.time}} until a trail records again using CloudTrail Event history (90 days of management events per region): aws cloudtrail lookup-events --region REGION --start-time {{event.time}}."
#     - "List what the caller did around the deletion: aws cloudtrail lookup-events --region {{event.region}} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; look for StopLogging, PutEventSelectors and changes to the log bucket (PutBucketPolicy, PutBucketLifecycleConfiguration, DeleteObject, DeleteBucket)."
package builtin.cloudtrail.trail_deleted

import data.lib.cloudtrail as ct
import data.lib.severity
import data.lib.trail

alert contains finding if {
	input.eventSource == "cloudtrail.amazonaws.com"
	input.eventName == "DeleteTrail"
	ct.success

	finding := {
		"msg": sprintf("%s deleted CloudTrail trail %s in %s.", [ct.summary_phrase, trail.display_name, _region]),
		"target": _target,
		"severity": _success_severity,
		"context": object.union(ct.caller_context, _extra_context),
	}
}

alert contains finding if {
	input.eventSource == "cloudtrail.amazonaws.com"
	input.eventName == "DeleteTrail"
	input.errorCode
	ct.denied

	finding := {
		"msg": sprintf("%s tried to delete CloudTrail trail %s in %s (denied: %s).", [ct.summary_phrase, trail.display_name, _region, ct.error_code]),
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
