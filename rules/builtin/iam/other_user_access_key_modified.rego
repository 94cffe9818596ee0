# METADATA
# title: Another user's IAM access key deactivated or deleted
# description: |
#   UpdateAccessKey (to Inactive) or DeleteAccessKey succeeded on a key of an IAM user other
#   than the caller. Attackers remove owners' keys to lock them out (account access removal)
#   or to cover their tracks; administrators rotate and clean up keys too, so the owner must
#   confirm. The caller is resolved per identity type and compared exactly: a missing
#   requestParameters.userName means the caller acted on itself, and "jackson" acting on
#   "jack" is another user. Users deactivating or deleting their own keys (rotation) raise
#   nothing.
#
#   MEDIUM; HIGH when the caller belongs to another account or used a console session
#   without MFA. Reactivation (status Active) is left to TH-IAM-001, which escalates it
#   when the key is another user's; a root caller also raises TH-IAM-006.
# custom:
#   id: TH-IAM-002
#   version: 1
#   severity: MEDIUM
#   events:
#     - iam.amazonaws.com:UpdateAccessKey
#     - iam.amazonaws.com:DeleteAccessKey
#   attack: ["TA0040:T1531", "TA0003:T1098"]
#   compliance:
#     nist-sp-800-53-r5: ["AC-2", "IA-5"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#   dedup: {window: 1h, by: [actor.arn, target.user_name]}
#   remediation:
#     summary: >-
#       Confirm with the key's owner and the caller's team that the change was planned. If it
#       was not, contain the caller first, then give the owner their access back.
#     containment:
#       - title: If the change was not planned, contain the caller (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the change was not planned, contain the caller (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the change was not planned, contain the caller (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the change was not planned, contain the caller (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Restore a key that was deactivated without authorization
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{context.deactivated_key_id}} > Actions > Activate"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{context.deactivated_key_id}} --status Active"
#       - title: A deleted key cannot be restored; see what the owner has left and let them create a new key
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys: the owner creates a replacement and updates the systems that used {{target.access_key_id}}"
#         cli:
#           - "aws iam list-access-keys --user-name {{target.user_name}}"
#     backout:
#       - title: Undo the restore if the owner confirms the key should stay inactive
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{context.deactivated_key_id}} --status Inactive"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Ask the owner of {{target.user_name}} and the team behind {{actor.arn}} whether {{event.name}} on {{target.access_key_id}} was planned (rotation, off-boarding, incident response)."
#     - "Check for a pattern: other DeleteAccessKey, UpdateAccessKey, DeleteLoginProfile, DeleteUser or DetachUserPolicy calls by the same credentials from {{context.window_start}} to {{context.window_end}}: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}."
#     - "Check for a key swap: a CreateAccessKey for {{target.user_name}} by the same caller shortly before or after {{event.time}} means the caller now holds the user's only working key."
#     - "Find what depended on the key: CloudTrail events signed by {{target.access_key_id}} in the days before {{event.time}} (AttributeKey=AccessKeyId) show which hosts and services will now fail."
package builtin.iam.other_user_access_key_modified

import data.lib.cloudtrail as ct
import data.lib.iam
import data.lib.severity as sev

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	_verb # a deletion or a deactivation
	ct.success
	iam.acted_on_other_user

	finding := {
		"msg": sprintf("%s %s %s of %s.", [ct.summary_phrase, _verb, iam.key_phrase, iam.target_phrase]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.caller_context, extra_context),
	}
}

# _verb is what the watched call did; reactivation (status Active) is TH-IAM-001's.
_verb := "deleted" if input.eventName == "DeleteAccessKey"

_verb := "deactivated" if {
	input.eventName == "UpdateAccessKey"
	iam.key_status == "Inactive"
}

reasons contains "the caller belongs to another account" if ct.cross_account

reasons contains "the console session was not MFA-authenticated" if ct.console_mfa_missing

# A change CloudFormation made for a stack (an AWS::IAM::AccessKey deleted or set Inactive)
# is one step lower.
severity := "MEDIUM" if {
	count(reasons) == 0
	ct.via_cloudformation == false
} else := _escalated if {
	ct.via_cloudformation == false
} else := sev.step_down(_escalated)

_escalated := "MEDIUM" if count(reasons) == 0

_escalated := "HIGH" if count(reasons) > 0

# extra_context names the deactivated key for deactivations only.
extra_context := {k: v |
	some [k, vs] in [
		["acted_on_self", [false]],
		["escalation_reasons", [sort(reasons)]],
		["step_down_reasons", [[r] | r := ct.cloudformation_step_down]],
		["via_cloudformation", [ct.via_cloudformation]],
		["deactivated_key_id", [iam.access_key_id | _verb == "deactivated"]],
	]
	some v in vs
}
