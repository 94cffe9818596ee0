# METADATA
# title: Root user access key created
# description: |
#   The root user created an access key for itself (CreateAccessKey with
#   requestParameters: null). A root access key is an unrestricted long-term credential that
#   no IAM policy can limit; CIS 1.4 requires that none exist. CRITICAL.
#
#   Overlap: this rule owns the event; TH-IAM-006 (root user used) deliberately stays quiet
#   for it because securing the root user is part of this rule's remediation. Root creating
#   a key for an IAM user is TH-IAM-003 plus TH-IAM-006.
# custom:
#   id: TH-IAM-004
#   version: 1
#   severity: CRITICAL
#   events:
#     - iam.amazonaws.com:CreateAccessKey
#   attack: ["TA0003:T1098.001", "TA0003:T1078.004"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.4", "1.7"]
#     nist-sp-800-53-r5: ["AC-2", "AC-6", "IA-5"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_add-key.html
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
#   dedup: {window: 24h, by: [target.access_key_id]}
#   remediation:
#     summary: >-
#       Delete the root access key: only the root user can, from the root user's Security
#       credentials page. Temporary credentials minted from a root key cannot be limited by
#       IAM policies; if the key was not created by the root credential's custodians, treat
#       the root user as compromised and secure it.
#     containment:
#       - title: Deactivate, then delete, the root access key (signed in as the root user)
#         console:
#           - "Sign in as the root user > account menu > Security credentials > Access keys > {{target.access_key_id}} > Actions > Deactivate, then Delete"
#           - "In an AWS Organizations member account with centralized root access, the management account can delete the member's root credentials instead of signing in as root"
#         cli:
#           - "aws iam update-access-key --access-key-id {{target.access_key_id}} --status Inactive"
#           - "aws iam delete-access-key --access-key-id {{target.access_key_id}}"
#       - title: If the custodians did not create it, secure the root user
#         console:
#           - "Sign in as the root user: change the password, review Security credentials > Multi-factor authentication (remove unknown devices, register the custodians' device), and review the account's contact and alternate contact details"
#           - "In an AWS Organizations member account, attach an SCP that denies all actions to the root principal until the investigation ends: IAM policies cannot restrict the root user or sessions minted from its key"
#         cli:
#           - "aws iam get-account-summary"
#     steps:
#       - title: Confirm no root access keys remain and root has MFA (credential report row <root_account>; Content is base64-encoded CSV)
#         console:
#           - "IAM > Credential report > Download: row <root_account>, columns access_key_1_active, access_key_2_active, mfa_active, password_last_used"
#         cli:
#           - "aws iam generate-credential-report"
#           - "aws iam get-credential-report --query Content --output text"
#     backout:
#       - title: >-
#           Nothing to put back: a deleted root key cannot be restored, and CIS 1.4 allows
#           none. If the custodians need programmatic access, give it to an IAM role instead.
#         console:
#           - "IAM > Roles > Create role, with the permissions the task needs"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-enable-root-access.html
#   runbook:
#     - "Call the root credential custodians: did they create key {{target.access_key_id}} at {{event.time}} from {{event.source_ip}}? Root keys are almost never legitimate (CIS 1.4)."
#     - "Find the root sign-in that preceded it: ConsoleLogin events for the root user in us-east-1 from {{context.window_start}} to {{event.time}}; check the source IP and whether MFA was used ({{actor.mfa_authenticated}} for this session)."
#     - "List what the new key did since {{event.time}} in every region: aws cloudtrail lookup-events --region REGION --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{target.access_key_id}} --start-time {{event.time}}."
#     - "List the rest of this root session: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; watch for password, MFA device (DeactivateMFADevice, CreateVirtualMFADevice) and account contact changes."
package builtin.iam.root_access_key_created

import data.lib.cloudtrail as ct
import data.lib.iam

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	iam.root_created_own_access_key

	finding := {
		"msg": sprintf("%s created %s for the root user.", [ct.summary_phrase, iam.key_phrase]),
		"target": iam.target,
		"context": object.union(ct.base_context, extra_context),
	}
}

# extra_context holds acted_on_self, and root_access_key_id when the record gives the key.
extra_context := {k: v |
	some [k, vs] in [
		["acted_on_self", [true]],
		["root_access_key_id", [x | x := iam.access_key_id]],
	]
	some v in vs
}
