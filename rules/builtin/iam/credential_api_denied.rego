# METADATA
# title: Denied attempt at IAM access key or user management
# description: |
#   CreateAccessKey, UpdateAccessKey, DeleteAccessKey or UpdateUser was refused for lack of
#   permission (AccessDenied and similar error codes). Stolen credentials are commonly tried
#   against credential APIs to find out what they can do; nothing changed, but the caller
#   reached for persistence or account manipulation. Failed calls often carry no
#   requestParameters: the target is then parsed out of errorMessage.
#
#   MEDIUM; LOW when the caller was refused on its own user (usually a missing self-service
#   permission); HIGH when the caller belongs to another account. Root callers are left to
#   TH-IAM-006, which reports every root call including denied ones. Repeats by the same
#   caller are folded into one alert per hour.
# custom:
#   id: TH-IAM-007
#   version: 1
#   severity: MEDIUM
#   events:
#     - iam.amazonaws.com:CreateAccessKey
#     - iam.amazonaws.com:UpdateAccessKey
#     - iam.amazonaws.com:DeleteAccessKey
#     - iam.amazonaws.com:UpdateUser
#   attack: ["TA0007:T1087.004", "TA0003:T1098.001"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["4.1"]
#     nist-sp-800-53-r5: ["AC-6", "AU-6", "SI-4"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html
#   dedup: {window: 1h, by: [actor.arn]}
#   remediation:
#     summary: >-
#       Nothing changed. Find out whether the caller has any reason to manage IAM users' keys
#       or names; if not, treat its credentials as compromised and contain them.
#     containment:
#       - title: If the caller has no business calling IAM, contain it (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the caller has no business calling IAM, contain it (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the caller has no business calling IAM, contain it (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the caller has no business calling IAM, contain it (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Review what the caller is allowed to do (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam list-attached-user-policies --user-name {{context.actor_user_name}}"
#           - "aws iam list-user-policies --user-name {{context.actor_user_name}}"
#           - "aws iam list-groups-for-user --user-name {{context.actor_user_name}}"
#           - "aws iam get-access-key-last-used --access-key-id {{context.actor_long_term_key_id}}"
#       - title: Review what the caller is allowed to do (assumed-role caller)
#         cli:
#           - "aws iam list-attached-role-policies --role-name {{context.actor_role_name}}"
#           - "aws iam list-role-policies --role-name {{context.actor_role_name}}"
#     backout:
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
#     - "Ask the owner of {{actor.arn}} whether it should be managing IAM users at all; automation that suddenly calls {{event.name}} from {{event.source_ip}} ({{event.user_agent}}) was not written to."
#     - "Count the caller's denied calls around {{event.time}} (errorCode AccessDenied, AccessDeniedException, UnauthorizedOperation): aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}. Many different APIs in minutes is permission enumeration."
#     - "Check the caller's successful calls in the same window: a denied CreateAccessKey followed by a successful AttachUserPolicy, PutUserPolicy or CreatePolicyVersion is privilege escalation in progress."
#     - "Check where the credential came from: for an AKIA key, when and by whom it was created (CreateAccessKey) and get-access-key-last-used; for a role session, the AssumeRole or AssumeRoleWithWebIdentity event that issued {{actor.access_key_id}}."
package builtin.iam.credential_api_denied

import data.lib.cloudtrail as ct
import data.lib.iam

watched := {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "UpdateUser"}

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"

	input.errorCode
	ct.denied
	watched[input.eventName]
	not ct.is_root

	finding := {
		"msg": sprintf("%s was denied iam:%s on %s (%s).", [ct.summary_phrase, input.eventName, iam.target_phrase, ct.error_code]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.caller_context, {
			"acted_on_self": iam.acted_on_self,
			"target_from_error_message": _target_from_error_message,
			"escalation_reasons": [r | ct.cross_account; r := "the caller belongs to another account"],
			"step_down_reasons": [r | severity == "LOW"; r := "the caller was denied an action on itself"],
		}),
	}
}

default _target_from_error_message := false

_target_from_error_message if {
	not iam.requested_user_name
	iam.error_target_user_name
}

severity := "HIGH" if {
	ct.cross_account
} else := "LOW" if {
	iam.acted_on_self
} else := "MEDIUM"
