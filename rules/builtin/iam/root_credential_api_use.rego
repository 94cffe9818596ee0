# METADATA
# title: Root user used for IAM credential management
# description: |
#   The root user called CreateAccessKey, UpdateAccessKey, DeleteAccessKey or UpdateUser,
#   whether or not the call succeeded. None of these needs the root user (CIS 1.7): someone
#   holds the root credential and is using it for day-to-day IAM work, or is probing with it.
#   HIGH; CRITICAL when the call was signed with a root access key (CIS 1.4) or came from a
#   root console session without MFA.
#
#   Overlap, deliberate: this rule is about the root credential being in use; the rule for
#   what was done (TH-IAM-001 reactivation, TH-IAM-002 another user's key, TH-IAM-003 key for
#   another user, TH-IAM-005 rename) fires beside it with its own remediation. The one
#   exception is root creating its own access key: TH-IAM-004 owns that event at CRITICAL
#   and its remediation already secures the root user, so this rule stays quiet for it.
#   Denied root calls (an SCP in an Organizations member account) are reported here and not
#   by TH-IAM-007.
# custom:
#   id: TH-IAM-006
#   version: 1
#   severity: HIGH
#   events:
#     - iam.amazonaws.com:CreateAccessKey
#     - iam.amazonaws.com:UpdateAccessKey
#     - iam.amazonaws.com:DeleteAccessKey
#     - iam.amazonaws.com:UpdateUser
#   attack: ["TA0001:T1078.004", "TA0004:T1078.004"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.7", "4.3"]
#     nist-sp-800-53-r5: ["AC-2", "AC-6"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html
#   dedup: {window: 1h, by: [actor.access_key_id]}
#   remediation:
#     summary: >-
#       Confirm with the root credential's custodians that they made this call. If they did
#       not, the root user is compromised: secure it first, then undo what it changed (see
#       the companion alert for the change itself).
#     containment:
#       - title: If the custodians did not make the call, secure the root user (sign in as root)
#         console:
#           - "Sign in as the root user: change the password, review Security credentials > Multi-factor authentication (remove unknown devices, register the custodians' device), and delete every root access key"
#           - "In an AWS Organizations member account, attach an SCP that denies all actions to the root principal until the investigation ends: IAM policies cannot restrict the root user or sessions minted from its keys"
#         cli:
#           - "aws iam get-account-summary"
#       - title: Check the IAM user the root user acted on
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials"
#         cli:
#           - "aws iam list-access-keys --user-name {{target.user_name}}"
#     steps:
#       - title: Review the root user's credentials (credential report row <root_account>; Content is base64-encoded CSV)
#         console:
#           - "IAM > Credential report > Download: row <root_account>, columns password_last_used, mfa_active, access_key_1_active, access_key_2_active"
#         cli:
#           - "aws iam generate-credential-report"
#           - "aws iam get-credential-report --query Content --output text"
#     backout:
#       - title: >-
#           A root password change or MFA re-registration is not undone; hand the new
#           credentials to the custodians and detach the investigation SCP when it ends
#         console:
#           - "AWS Organizations > Policies > Service control policies > detach the investigation SCP from the account"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
#   runbook:
#     - "Call the root credential custodians: did they call {{event.name}} at {{event.time}} from {{event.source_ip}} ({{event.user_agent}})? Root is not needed for IAM user management."
#     - "Find how root signed in: ConsoleLogin events for the root user in us-east-1 before {{event.time}} (source IP, MFA used), or, if {{actor.access_key_id}} starts with AKIA, a root access key is in use and must be deleted (CIS 1.4)."
#     - "List the rest of this root session or key: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; then the same in every region the account uses."
#     - "Look for root account takeover steps in the same window: password and MFA device changes (DeactivateMFADevice, CreateVirtualMFADevice, EnableMFADevice), account contact or alternate contact changes, CreateAccessKey."
package builtin.iam.root_credential_api_use

import data.lib.cloudtrail as ct
import data.lib.iam

watched := {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "UpdateUser"}

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	ct.is_root
	watched[input.eventName]
	not iam.root_created_own_access_key

	finding := {
		"msg": sprintf("%s called iam:%s as the root user on %s%s.", [ct.summary_phrase, input.eventName, iam.target_phrase, _outcome]),
		"target": iam.target,
		"severity": severity,
		"context": object.union(ct.base_context, {
			"acted_on_self": iam.acted_on_self,
			"succeeded": ct.success,
			"escalation_reasons": sort(reasons),
		}),
	}
}

_outcome := sprintf(" (failed: %s)", [ct.error_code]) if {
	input.errorCode
	ct.failed
} else := ""

reasons contains "the call was signed with a root access key" if ct.long_term_key_id

reasons contains "the root console session was not MFA-authenticated" if ct.console_mfa_missing

severity := "CRITICAL" if {
	count(reasons) > 0
} else := "HIGH"
