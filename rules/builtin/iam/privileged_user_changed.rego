# METADATA
# title: Credentials of an administrator or of a console user without MFA changed by another identity
# description: |
#   Another identity gave credentials to, or changed the sign-in of, an IAM user who is an
#   administrator (AdministratorAccess, or a policy allowing Action * on Resource *, on the user
#   or one of its groups) or who can sign in to the console without MFA: a new or reactivated
#   access key, a console password set or changed, a removed MFA device, a rename. Taking over
#   such a user is the shortest path to the whole account. Facts come from IAM after the event
#   (enrichment): groups and policies, MFA devices, login profile. Removing credentials
#   (deactivating or deleting keys) is not a takeover and is left to TH-IAM-002.
#
#   Severity: CRITICAL for an administrator without MFA, HIGH for an administrator, MEDIUM for
#   a console user without MFA (CIS AWS Foundations v3.0.0 1.10). Users acting on themselves
#   are left to the other rules.
# custom:
#   id: TH-IAM-103
#   version: 1
#   severity: HIGH
#   events:
#     - iam.amazonaws.com:CreateAccessKey
#     - iam.amazonaws.com:UpdateAccessKey
#     - iam.amazonaws.com:UpdateUser
#     - iam.amazonaws.com:CreateLoginProfile
#     - iam.amazonaws.com:UpdateLoginProfile
#     - iam.amazonaws.com:DeactivateMFADevice
#   attack: ["TA0003:T1098.001", "TA0004:T1078.004", "TA0006:T1556.006"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.10", "1.15"]
#     nist-sp-800-53-r5: ["AC-2", "AC-6(5)", "IA-2(1)"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa.html
#     - https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
#     - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-5
#   enrich: [target_groups_policies, target_mfa, target_login_profile]
#   remediation:
#     summary: >-
#       Unless the change to {{target.user_name}} was requested, quarantine the user with an
#       explicit deny (it also covers session tokens the user already holds), undo the change,
#       then require MFA and remove administrator rights the user does not need.
#     containment:
#       - title: Quarantine the user with an inline deny-all policy (explicit deny wins over every allow, including for the user's existing session tokens)
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions > Add permissions > Create inline policy > JSON: Deny Action * on Resource *; name it trailhound-quarantine"
#         cli:
#           - 'aws iam put-user-policy --user-name {{target.user_name}} --policy-name trailhound-quarantine --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}"'
#       - title: Deactivate the access key this event created or reactivated
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"
#       - title: Remove the console password if it was set or changed without a request
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Console sign-in > Manage console access > Disable"
#         cli:
#           - "aws iam delete-login-profile --user-name {{target.user_name}}"
#     steps:
#       - title: Review what makes the user an administrator (context.admin_reasons)
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions and Groups tabs"
#         cli:
#           - "aws iam list-attached-user-policies --user-name {{target.user_name}}"
#           - "aws iam list-user-policies --user-name {{target.user_name}}"
#           - "aws iam list-groups-for-user --user-name {{target.user_name}}"
#       - title: If the user does not need administrator rights, remove the grant (save an inline policy's document first; deletion is final)
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions: remove {{context.admin_policy_arn}} / {{context.admin_inline_policy}}; Groups: remove from {{context.admin_group}}"
#         cli:
#           - "aws iam detach-user-policy --user-name {{target.user_name}} --policy-arn {{context.admin_policy_arn}}"
#           - "aws iam get-user-policy --user-name {{target.user_name}} --policy-name {{context.admin_inline_policy}}"
#           - "aws iam delete-user-policy --user-name {{target.user_name}} --policy-name {{context.admin_inline_policy}}"
#           - "aws iam remove-user-from-group --user-name {{target.user_name}} --group-name {{context.admin_group}}"
#       - title: Require MFA before the user signs in again (CIS 1.10)
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Multi-factor authentication (MFA) > Assign MFA device (done with the user, who holds the device)"
#         cli:
#           - "aws iam list-mfa-devices --user-name {{target.user_name}}"
#     backout:
#       - title: The change was legitimate; lift the quarantine
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions > remove the inline policy trailhound-quarantine"
#         cli:
#           - "aws iam delete-user-policy --user-name {{target.user_name}} --policy-name trailhound-quarantine"
#       - title: Restore the key or console access removed during containment
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Console sign-in > Enable console access (set a new password and require a reset)"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Active"
#       - title: Restore an administrator grant removed by mistake (an inline policy from its saved document, with put-user-policy)
#         console:
#           - "IAM > Users > {{target.user_name}} > Add permissions"
#         cli:
#           - "aws iam attach-user-policy --user-name {{target.user_name}} --policy-arn {{context.admin_policy_arn}}"
#           - "aws iam add-user-to-group --user-name {{target.user_name}} --group-name {{context.admin_group}}"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html
#   runbook:
#     - "{{actor.arn}} ran {{event.name}} on {{target.user_name}} at {{event.time}} from {{event.source_ip}}; the user is {{context.posture}}. Ask the user and the caller whether it was requested."
#     - "Check context.enrichment.target.groups_policies.admin_reasons for how the user is an administrator, and context.enrichment.target.mfa and login_profile for how it signs in."
#     - "List what {{target.user_name}} did since {{event.time}}: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=Username,AttributeValue={{target.user_name}} --start-time {{event.time}}; then the same in the regions the account uses."
#     - "List what the caller did in the triage window: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}"
package builtin.iam.privileged_user_changed

import data.lib.cloudtrail as ct
import data.lib.iam

alert contains finding if {
	# without the lookup nothing below can hold
	input.enrichment.target.exists == true
	count(risks) > 0
	ct.success
	iam.acted_on_other_user
	not removes_credentials
	finding := {
		"msg": sprintf("%s ran %s on %s, who is %s.", [ct.summary_phrase, input.eventName, iam.target_phrase, posture]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.base_context, object.union(grants, {
			"posture": posture,
			"target_is_admin": is_admin,
			"target_mfa_enabled": mfa_enabled,
			"target_console_access": console_access,
			"admin_reasons": object.get(target, ["groups_policies", "admin_reasons"], []),
			"escalation_reasons": [r | severity == "CRITICAL"; r := "the user is an administrator without MFA"],
			"step_down_reasons": [r | severity == "MEDIUM"; r := "the user is a console user without MFA, not an administrator"],
		})),
	}
}

# removes_credentials holds for deactivating another user's key: not a takeover.
removes_credentials if {
	input.eventName == "UpdateAccessKey"
	iam.key_status == "Inactive"
}

# grants names what makes the user an administrator, for the remediation commands (each key
# only when such a grant exists; the first by name when there are several):
#   admin_policy_arn     a managed policy allowing everything, attached to the user
#   admin_inline_policy  an inline policy of the user allowing everything
#   admin_group          a group whose policies allow everything
grants := {k: v |
	some [k, vs] in [
		["admin_policy_arn", [min(_admin_policy_arns) | count(_admin_policy_arns) > 0]],
		["admin_inline_policy", [min(_admin_inline_policies) | count(_admin_inline_policies) > 0]],
		["admin_group", [min(_admin_groups) | count(_admin_groups) > 0]],
	]
	some v in vs
}

_admin_policy_arns := {p.policy_arn | some p in target.groups_policies.attached_policies; p.allows_all == true; p.via == "user"}

_admin_inline_policies := {p.policy_name | some p in target.groups_policies.inline_policies; p.allows_all == true; p.via == "user"}

_admin_groups := {substring(p.via, 6, -1) |
	some p in array.concat(target.groups_policies.attached_policies, target.groups_policies.inline_policies)
	p.allows_all == true
	startswith(p.via, "group:")
}

# target is the enrichment about the user the call acted on (looked up by its current name).
target := input.enrichment.target

default is_admin := false

is_admin if target.groups_policies.is_admin == true

default mfa_enabled := false

mfa_enabled if target.mfa.enabled == true

default console_access := false

console_access if target.login_profile.console_access == true

# no_mfa holds when IAM says the user has no MFA device (not when MFA was not looked up).
no_mfa if target.mfa.enabled == false

risks contains "admin" if is_admin

risks contains "console_without_mfa" if {
	console_access
	no_mfa
}

severity := "CRITICAL" if {
	is_admin
	no_mfa
} else := "HIGH" if {
	is_admin
} else := "MEDIUM"

posture := "an administrator without MFA" if {
	is_admin
	no_mfa
} else := "an administrator" if {
	is_admin
} else := "a console user without MFA"
