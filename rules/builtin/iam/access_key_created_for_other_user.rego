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
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the key was not requested, contain the caller (assumed-role caller)
#         console:
#           - "IAM > Roles > {{context.actor_role_name}} > Revoke sessions > Revoke active sessions (for AWSReservedSSO_ roles, revoke the permission set sessions in IAM Identity Center instead)"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
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
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_role_name}} --policy-name AWSRevokeOlderSessions"
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

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "CreateAccessKey"
	ct.success
	iam.acted_on_other_user

	finding := {
		"msg": sprintf("%s created %s for %s.", [ct.summary_phrase, iam.key_phrase, iam.target_phrase]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.base_context, {
			"acted_on_self": false,
			"caller_is_root": ct.is_root,
			"escalation_reasons": sort(reasons),
		}),
	}
}

reasons contains "the caller belongs to another account" if ct.cross_account

reasons contains "the console session was not MFA-authenticated" if ct.console_without_mfa

# The usual case, no reason to escalate, comes first: OPA then evaluates one branch.
severity := "HIGH" if {
	count(reasons) == 0
} else := "CRITICAL"
