# METADATA
# title: Burst of other users' access keys deleted by one identity
# description: |
#   One identity deleted access keys of three or more other IAM users' keys within ten minutes
#   (a threshold on event time: one alert per burst, listing the deletions in
#   context.threshold.events; later deletions in the same window update it). Deleting other
#   people's keys in bulk cuts workloads off (ATT&CK T1531, Account Access Removal) or clears
#   the way for keys the actor controls; a single deletion is reported by TH-IAM-002.
# custom:
#   id: TH-IAM-104
#   version: 1
#   severity: HIGH
#   events:
#     - iam.amazonaws.com:DeleteAccessKey
#   attack: ["TA0040:T1531", "TA0003:T1098.001"]
#   compliance:
#     nist-sp-800-53-r5: ["AC-2(4)", "SI-4"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html
#     - https://attack.mitre.org/techniques/T1531/
#   threshold: {count: 3, window: 10m, by: [actor.arn]}
#   remediation:
#     summary: >-
#       Stop the caller {{actor.arn}} first (its keys, console access and sessions), then give
#       the affected users new keys; deleted keys cannot be restored.
#     containment:
#       - title: "Contain the caller (IAM user): deactivate the key it signed with and remove its console password"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}}; Console sign-in > Manage console access > Disable"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#       - title: Revoke the caller's sessions (IAM user) with a deny on tokens issued before now
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: Revoke the caller's sessions (assumed role)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "Revoke the caller's sessions (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "Revoke the caller's sessions (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Give each affected user (context.threshold.events, target.user_name) a new key with its owner, and move the workloads to it
#         console:
#           - "IAM > Users > (each affected user) > Security credentials > Create access key; store the secret where the workload reads it"
#       - title: Check the caller did not also create keys of its own (the deletions may have made room for them)
#         console:
#           - "CloudTrail > Event history > Event name CreateAccessKey, from {{context.window_start}} to {{context.window_end}} (see the runbook for the lookup-events command)"
#     backout:
#       - title: The deletions were a sanctioned clean-up; lift the caller's containment (IAM user)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#       - title: Lift the caller's containment (assumed role)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#   runbook:
#     - "Read context.threshold.events: which users lost which keys, when; was a clean-up (CIS 1.12 unused keys) announced for that time?"
#     - "Judge the caller {{actor.arn}} ({{actor.type}}) signing with {{actor.access_key_id}} from {{event.source_ip}} ({{event.user_agent}}): an expected administrator, network and tool?"
#     - "List everything the caller did in the triage window: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; look for CreateAccessKey, CreateUser, AttachUserPolicy, DeleteLoginProfile."
#     - "Ask the owners of the affected users which workloads broke, and restore them with new keys."
package builtin.iam.access_keys_deleted_burst

import data.lib.cloudtrail as ct
import data.lib.iam

# Each deletion of another user's key counts toward the threshold; the pipeline raises the
# alert when custom.threshold is reached.
alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "DeleteAccessKey"
	ct.success
	iam.acted_on_other_user
	finding := {
		"msg": sprintf("%s deleted %s of %s.", [ct.summary_phrase, iam.key_phrase, iam.target_phrase]),
		"target": iam.target,
		"context": ct.caller_context,
	}
}
