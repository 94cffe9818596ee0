# METADATA
# title: IAM access key created for another user
# description: |
#   CreateAccessKey succeeded for an IAM user other than the caller: the caller now holds a
#   long-term credential of that user (persistence through additional cloud credentials).
#   The target is requestParameters.userName compared exactly with the caller: a missing
#   userName means the caller created a key for itself (no alert: self-service), and
#   "jackson" creating a key for "jack" is another user (peers that compare by substring
#   miss it). Root creating its own key is TH-IAM-004.
#
#   HIGH; CRITICAL when the caller belongs to another account or used a console session
#   without MFA. A root caller also raises TH-IAM-006 (root user used).
# custom:
#   id: TH-IAM-003
#   version: 1
#   severity: HIGH
#   events:
#     - iam.amazonaws.com:CreateAccessKey
#   attack: ["TA0003:T1098.001", "TA0004:T1098.001"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.13"]
#     nist-sp-800-53-r5: ["AC-2", "IA-5"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#     - https://attack.mitre.org/techniques/T1098/001/
#   enrich: [target_access_keys]
#   dedup: {window: 1h, by: [actor.arn, target.user_name]}
#   remediation:
#     summary: >-
#       Deactivate the new key until the user's owner confirms it, cut off temporary
#       credentials already minted from it (deactivation alone does not revoke them), and
#       contain the caller if the key was not requested.
#     containment:
#       - title: Deactivate the new key
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"
#       - title: "The key id is masked in this record (HIDDEN_DUE_TO_SECURITY_REASONS): list the keys of {{context.masked_key_user_name}} and deactivate the one created at {{event.time}} (its CreateDate)"
#         console:
#           - "IAM > Users > {{context.masked_key_user_name}} > Security credentials > Access keys: the key created at {{event.time}} > Actions > Deactivate"
#         cli:
#           - "aws iam list-access-keys --user-name {{context.masked_key_user_name}}"
#       - title: >-
#           Revoke temporary credentials already issued with the key: deny every request
#           signed with a token issued before now (this also ends the user's own current
#           sessions; role sessions assumed with the key must be revoked on each role)
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions > Add permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions"
#           - "Find AssumeRole events signed by {{target.access_key_id}} and use IAM > Roles > (role) > Revoke sessions > Revoke active sessions on each role"
#         cli:
#           - 'aws iam put-user-policy --user-name {{target.user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the key was not requested, contain the caller (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the key was not requested, contain the caller (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the key was not requested, contain the caller (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the key was not requested, contain the caller (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Review the key, the user's other keys and what the user can do
#         console:
#           - "IAM > Users > {{target.user_name}}: Security credentials (keys, Last used) and Permissions (attached and inline policies, groups)"
#         cli:
#           - "aws iam get-access-key-last-used --access-key-id {{target.access_key_id}}"
#           - "aws iam list-access-keys --user-name {{target.user_name}}"
#           - "aws iam list-attached-user-policies --user-name {{target.user_name}}"
#           - "aws iam list-user-policies --user-name {{target.user_name}}"
#           - "aws iam list-groups-for-user --user-name {{target.user_name}}"
#       - title: Delete the key once it is confirmed unwanted (a deleted key cannot be restored)
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Delete"
#         cli:
#           - "aws iam delete-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}}"
#     backout:
#       - title: The owner confirmed the key; reactivate it and lift the session deny
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{target.user_name}} --policy-name trailhound-revoke-older-sessions"
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
#     - "Ask the owner of {{target.user_name}} whether they asked {{actor.arn}} for a key. Administrators creating keys for other people is rare outside on-boarding and service accounts."
#     - "Check whether {{target.user_name}} was created or given permissions in the same window (CreateUser, AttachUserPolicy, PutUserPolicy, AddUserToGroup, CreateLoginProfile by the same caller from {{context.window_start}} to {{context.window_end}}): together they are the backdoor-user pattern."
#     - "List what the new key did since {{event.time}} in every region: aws cloudtrail lookup-events --region REGION --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{target.access_key_id}} --start-time {{event.time}}."
#     - "Count the user's active keys (list-access-keys): a second active key on a service account (CIS 1.13 allows one) is how a backdoor hides beside the legitimate key."
#     - "Review the caller's other activity from {{context.window_start}} to {{context.window_end}}: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}."
package builtin.iam.access_key_created_for_other_user

import data.lib.cloudtrail as ct
import data.lib.iam
import data.lib.severity as sev

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "CreateAccessKey"
	ct.success
	iam.acted_on_other_user

	finding := {
		"msg": sprintf("%s created %s for %s.", [ct.summary_phrase, iam.key_phrase, iam.target_phrase]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.caller_context, extra_context),
	}
}

# An attempt: the call failed for a reason other than a denial (the two-key quota,
# LimitExceeded, is the usual one). The caller was allowed to create keys for the user and
# may succeed once a key is gone. One step lower than a created key.
alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "CreateAccessKey"
	input.errorCode
	ct.failed_not_denied
	iam.acted_on_other_user

	finding := {
		"msg": sprintf("%s tried to create an access key for %s; the call failed with %s, not a denial, so the caller may create keys for that user.", [ct.summary_phrase, iam.target_phrase, ct.error_code]),
		"target": iam.target,
		"severity": attempt_severity,
		"context": object.union(object.union(ct.caller_context, extra_context), {
			"attempt_error_code": ct.error_code,
			"attempt_user_name": iam.target_user_name,
		}),
	}
}

reasons contains "the caller belongs to another account" if ct.cross_account

reasons contains "the console session was not MFA-authenticated" if ct.console_mfa_missing

step_downs contains ct.cloudformation_step_down

_attempt_reason := sprintf("the call failed (%s): no key was created", [ct.error_code])

severity := "HIGH" if {
	count(reasons) == 0
	count(step_downs) == 0
} else := _escalated if {
	count(step_downs) == 0
} else := sev.step_down(_escalated)

_escalated := "HIGH" if count(reasons) == 0

_escalated := "CRITICAL" if count(reasons) > 0

attempt_severity := sev.step_down(severity)

# extra_context: escalation_reasons always; step_down_reasons when there are any (a failed
# attempt adds its own).
extra_context := {k: v |
	some [k, vs] in [
		["acted_on_self", [false]],
		["caller_is_root", [ct.is_root]],
		["escalation_reasons", [sort(reasons)]],
		["via_cloudformation", [ct.via_cloudformation]],
		["step_down_reasons", [sort(_all_step_downs) | count(_all_step_downs) > 0]],
		["masked_key_user_name", [x | x := iam.masked_key_user_name]],
	]
	some v in vs
}

_all_step_downs := step_downs | {_attempt_reason | ct.failed_not_denied}
