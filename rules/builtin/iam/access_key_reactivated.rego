# METADATA
# title: IAM access key reactivated
# description: |
#   UpdateAccessKey set an access key back to Active. Keys are deactivated after rotation,
#   after 45 days without use (CIS 1.12) or by an incident responder; bringing one back
#   revives a credential its owner may no longer watch. Always alerted: MEDIUM for a user
#   reactivating one of their own keys, HIGH when it is another user's key, the caller is an
#   assumed role or from another account, or the call came from a console session without
#   MFA, and CRITICAL when the root user did it.
#
#   Overlap: a root caller also raises TH-IAM-006 (root user used for IAM credential APIs),
#   which is about the root credential being in use; this rule is about the key.
# custom:
#   id: TH-IAM-001
#   version: 1
#   severity: MEDIUM
#   events:
#     - iam.amazonaws.com:UpdateAccessKey
#   attack: ["TA0003:T1098.001", "TA0003:T1078.004"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.12", "1.13", "1.14"]
#     nist-sp-800-53-r5: ["AC-2", "IA-5"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#   enrich: [target_access_keys]
#   dedup: {window: 1h, by: [actor.arn, target.access_key_id]}
#   remediation:
#     summary: >-
#       Deactivate the key again until its owner confirms the change, then cut off temporary
#       credentials already minted from it: deactivating a key does not revoke STS session
#       credentials issued with it.
#     containment:
#       - title: Deactivate the reactivated key (IAM user key)
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"
#       - title: "The key id is masked in this record (HIDDEN_DUE_TO_SECURITY_REASONS): list the keys of {{context.masked_key_user_name}} and deactivate the one that is Active and was Inactive before {{event.time}} (get-access-key-last-used tells keys apart)"
#         console:
#           - "IAM > Users > {{context.masked_key_user_name}} > Security credentials > Access keys: the key that is Active again > Actions > Deactivate"
#         cli:
#           - "aws iam list-access-keys --user-name {{context.masked_key_user_name}}"
#       - title: Deactivate the reactivated key (the root user's own key; only the root user can do this)
#         console:
#           - "Sign in as the root user > account menu > Security credentials > Access keys > {{context.root_access_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --access-key-id {{context.root_access_key_id}} --status Inactive"
#       - title: >-
#           Revoke temporary credentials already issued with the key (GetSessionToken and
#           GetFederationToken sessions stay valid for up to 36 hours after the key is
#           deactivated): deny every request signed with a token issued before now
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions > Add permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions"
#           - "Role sessions assumed with the key are governed by the role, not the user: find AssumeRole events signed by {{target.access_key_id}} and use IAM > Roles > (role) > Revoke sessions > Revoke active sessions on each role"
#           - "Sessions minted from a root key cannot be limited with IAM policies; in an AWS Organizations member account use an SCP, and rotate the root password"
#         cli:
#           - 'aws iam put-user-policy --user-name {{target.user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the caller is not a trusted administrator, contain the caller as well (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the caller is not a trusted administrator, contain the caller as well (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the caller is not a trusted administrator, contain the caller as well (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the caller is not a trusted administrator, contain the caller as well (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Review the key and its owner's other keys
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials: check Last used for {{target.access_key_id}} and how many keys are Active (CIS 1.13 allows one)"
#         cli:
#           - "aws iam get-access-key-last-used --access-key-id {{target.access_key_id}}"
#           - "aws iam list-access-keys --user-name {{target.user_name}}"
#       - title: Delete the key if its owner does not need it (a deleted key cannot be restored)
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Delete"
#         cli:
#           - "aws iam delete-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}}"
#     backout:
#       - title: The owner confirmed the reactivation; restore the key and lift the session deny
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Activate"
#           - "IAM > Users > {{target.user_name}} > Permissions > remove the inline policy trailhound-revoke-older-sessions"
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
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#   runbook:
#     - "Ask the owner of {{target.user_name}} whether they reactivated, or asked for, key {{target.access_key_id}}; a key brought back without a ticket is a compromise until shown otherwise."
#     - "Judge the caller: {{actor.type}} {{actor.arn}} signed with {{actor.access_key_id}} from {{event.source_ip}} ({{event.user_agent}}), MFA {{actor.mfa_authenticated}}. Is this an administrator, network and tool you expect?"
#     - "List what the key did since {{event.time}} in every region: aws cloudtrail lookup-events --region REGION --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{target.access_key_id}} --start-time {{event.time}}; pay attention to AssumeRole and GetSessionToken (sessions outlive the key) and to reads of secrets and S3."
#     - "List what the caller did from {{context.window_start}} to {{context.window_end}}: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; look for CreateAccessKey, CreateLoginProfile, UpdateLoginProfile, AttachUserPolicy, PutUserPolicy, AddUserToGroup and CreateUser."
#     - "Find why the key was inactive: the earlier UpdateAccessKey with status Inactive for {{target.access_key_id}} (rotation, 45-day unused-credential clean-up, or an incident responder) and who made it."
package builtin.iam.access_key_reactivated

import data.lib.cloudtrail as ct
import data.lib.iam
import data.lib.severity as sev

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "UpdateAccessKey"
	iam.key_status == "Active"
	ct.success

	finding := {
		"msg": sprintf("%s reactivated %s of %s.", [ct.summary_phrase, iam.key_phrase, iam.target_phrase]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.caller_context, extra_context),
	}
}

# reasons are why this reactivation ranks above MEDIUM.
reasons contains "the root user reactivated it" if ct.is_root

reasons contains "it is another user's key" if iam.acted_on_other_user

reasons contains "the caller is an assumed role" if ct.is_assumed_role

reasons contains "the caller belongs to another account" if ct.cross_account

reasons contains "the console session was not MFA-authenticated" if ct.console_mfa_missing

# A reactivation CloudFormation made for a stack (an AWS::IAM::AccessKey set Active) is one
# step lower.
severity := _escalated if {
	ct.via_cloudformation == false
} else := sev.step_down(_escalated)

_escalated := "CRITICAL" if {
	ct.is_root
} else := "HIGH" if {
	count(reasons) > 0
} else := "MEDIUM"

extra_context := {k: v |
	some [k, vs] in [
		["acted_on_self", [iam.acted_on_self]],
		["escalation_reasons", [sort(reasons)]],
		# iam.acted_on_root_self, spelled out
		["root_access_key_id", [iam.access_key_id | ct.is_root; iam.acted_on_self]],
		["masked_key_user_name", [x | x := iam.masked_key_user_name]],
		["step_down_reasons", [[r] | r := ct.cloudformation_step_down]],
	]
	some v in vs
}
