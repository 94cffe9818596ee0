# METADATA
# title: IAM user renamed or moved
# description: |
#   UpdateUser gave an IAM user a new name (newUserName) and/or path (newPath). A rename
#   keeps the user's unique ID, keys and policies but changes its ARN. IAM stores a user
#   named in the Principal of a trust or resource policy by its unique ID, so those follow
#   the renamed user, and a new user who takes the freed name does NOT inherit them. What
#   names the user as text does not follow it, and does match a new user with the old name:
#   ARN strings in Resource and Condition elements (aws:PrincipalArn, aws:SourceArn),
#   aws:username conditions, SCPs, and allow-lists and suppressions outside IAM. A case-only
#   rename (IAM user names are unique ignoring case) or a path-only move frees no name.
#
#   MEDIUM; HIGH when the caller renamed or moved itself, belongs to another account, or
#   used a console session without MFA. A root caller also raises TH-IAM-006.
# custom:
#   id: TH-IAM-005
#   version: 1
#   severity: MEDIUM
#   events:
#     - iam.amazonaws.com:UpdateUser
#   attack: ["TA0003:T1098"]
#   compliance:
#     nist-sp-800-53-r5: ["AC-2", "IA-4"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html
#   dedup: {window: 1h, by: [actor.arn, target.user_name]}
#   remediation:
#     summary: >-
#       Confirm the change with the user's owner. If it was not planned, put the old path and
#       name back, contain the caller, and check that nobody took the freed old name (a
#       case-only rename or a path-only move frees none).
#     containment:
#       - title: >-
#           Put the user back at its old path first (CloudTrail does not record the old path:
#           take it from the user's CreateUser event, responseElements.user.path, or its
#           previous UpdateUser; most users live at /)
#         console:
#           - "Run aws iam update-user --user-name {{context.current_user_name}} --new-path OLD_PATH with the path found above (the console cannot change paths)"
#         cli:
#           - "aws iam get-user --user-name {{context.current_user_name}}"
#       - title: Give the user its old name back
#         console:
#           - "IAM > Users > {{target.new_user_name}} > Edit (user name) > {{target.user_name}}"
#         cli:
#           - "aws iam update-user --user-name {{target.new_user_name}} --new-user-name {{target.user_name}}"
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
#       - title: Check whether someone created a new user with the freed old name
#         console:
#           - "IAM > Users: search for {{context.freed_user_name}}; a user with that name created after {{event.time}} matches every ARN string, aws:username condition, SCP and outside allow-list that names it (not the trust and resource policies' Principal entries, which IAM keeps by unique ID and which stay with the renamed user)"
#         cli:
#           - "aws iam get-user --user-name {{context.freed_user_name}}"
#       - title: Review what the renamed user can do
#         cli:
#           - "aws iam list-attached-user-policies --user-name {{context.current_user_name}}"
#           - "aws iam list-user-policies --user-name {{context.current_user_name}}"
#           - "aws iam list-groups-for-user --user-name {{context.current_user_name}}"
#     backout:
#       - title: The owner confirmed the change; apply the new name and path again
#         console:
#           - "Run aws iam update-user --user-name {{target.user_name}} --new-path {{target.new_path}} if the path had changed"
#         cli:
#           - "aws iam update-user --user-name {{target.user_name}} --new-user-name {{target.new_user_name}}"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Ask the IAM owners whether changing {{target.user_name}} (new name {{target.new_user_name}}, new path {{target.new_path}}) at {{event.time}} was a planned change."
#     - "Look for CreateUser of {{context.freed_user_name}} after {{event.time}}: a new user with the freed name does not inherit trust or resource policies (their Principal entries hold the renamed user's unique ID), but it does match ARN strings in Resource and Condition elements, aws:username conditions, SCPs and allow-lists outside IAM that name {{context.freed_user_name}}."
#     - "List what named the old name as text, which no longer matches the renamed user: ARN strings arn:aws:iam::{{event.account}}:user/...{{target.user_name}} in Resource and Condition elements (aws:PrincipalArn, aws:SourceArn), aws:username conditions, SCPs, SIEM allow-lists and suppressions keyed on the name or path. Principal entries of trust and resource policies follow the user."
#     - "Review the caller's other IAM changes from {{context.window_start}} to {{context.window_end}}: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}."
package builtin.iam.user_renamed_or_moved

import data.lib.cloudtrail as ct
import data.lib.iam

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "UpdateUser"
	ct.success

	finding := {
		"msg": sprintf("%s %s.", [ct.summary_phrase, _change]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.caller_context, extra_context),
	}
}

_change := sprintf("renamed %s to %s and moved it to path %s", [iam.target_phrase, iam.new_user_name, iam.new_path]) if {
	iam.new_user_name
	iam.new_path
} else := sprintf("renamed %s to %s", [iam.target_phrase, iam.new_user_name]) if {
	iam.new_user_name
} else := sprintf("moved %s to path %s", [iam.target_phrase, iam.new_path]) if {
	iam.new_path
}

reasons contains "the caller renamed or moved itself" if iam.acted_on_self

reasons contains "the caller belongs to another account" if ct.cross_account

reasons contains "the console session was not MFA-authenticated" if ct.console_mfa_missing

severity := "HIGH" if {
	count(reasons) > 0
} else := "MEDIUM"

# current_user_name is the user's name after the change.
current_user_name := n if {
	n := iam.new_user_name
} else := iam.target_user_name

# freed_user_name is the old name when the rename made it available to a new user: IAM user
# names are unique ignoring case, so a case-only rename frees nothing, nor does a path move.
freed_user_name := iam.target_user_name if {
	lower(iam.new_user_name) != lower(iam.target_user_name)
}

extra_context := {k: v |
	some [k, vs] in [
		["acted_on_self", [iam.acted_on_self]],
		["escalation_reasons", [sort(reasons)]],
		["current_user_name", [x | x := current_user_name]],
		["freed_user_name", [x | x := freed_user_name]],
	]
	some v in vs
}
