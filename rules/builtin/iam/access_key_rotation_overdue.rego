# METADATA
# title: IAM access key overdue for rotation involved in a change
# description: |
#   An access key older than 90 days took part in an IAM change: it was reactivated
#   (UpdateAccessKey to Active), or it is the long-term key that signed the change. CIS AWS
#   Foundations v3.0.0 1.14 has access keys rotated every 90 days or less; a key that old in use
#   for identity changes has had a long time to leak, and whoever holds a copy holds those
#   rights. Key ages come from ListAccessKeys (enrichment), measured at the event's time.
#
#   Rotating one's own keys is not flagged: creating a new key, or deactivating or deleting
#   one's own keys, while signed with the old key is the rotation this rule asks for.
# custom:
#   id: TH-IAM-102
#   version: 1
#   severity: MEDIUM
#   events:
#     - iam.amazonaws.com:UpdateAccessKey
#     - iam.amazonaws.com:CreateAccessKey
#     - iam.amazonaws.com:DeleteAccessKey
#     - iam.amazonaws.com:UpdateUser
#     - iam.amazonaws.com:CreateUser
#     - iam.amazonaws.com:CreateLoginProfile
#     - iam.amazonaws.com:UpdateLoginProfile
#     - iam.amazonaws.com:AttachUserPolicy
#     - iam.amazonaws.com:PutUserPolicy
#     - iam.amazonaws.com:AddUserToGroup
#   attack: ["TA0001:T1078.004", "TA0003:T1078.004"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.14"]
#     nist-sp-800-53-r5: ["IA-5(1)", "AC-2"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html
#     - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-3
#   enrich: [target_access_keys, actor_access_keys]
#   dedup: {window: 24h, by: [context.overdue_key_id]}
#   remediation:
#     summary: >-
#       Rotate key {{context.overdue_key_id}} of {{context.overdue_key_user}} (CIS 1.14): create a
#       new key, move every consumer to it, deactivate the old key, verify the old key is no
#       longer used, then delete it.
#     containment:
#       - title: If this use or reactivation of the key is not expected, deactivate the key now (its consumers stop working until they get a new key)
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials > Access keys > {{context.overdue_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{context.overdue_key_user}} --access-key-id {{context.overdue_key_id}} --status Inactive"
#     steps:
#       - title: 1. Make room for the new key (IAM allows two per user; delete an unused inactive one first)
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials > Access keys"
#         cli:
#           - "aws iam list-access-keys --user-name {{context.overdue_key_user}}"
#       - title: 2. Create the replacement key and store its secret where the consumers read it (it is shown once)
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials > Create access key"
#         cli:
#           - "aws iam create-access-key --user-name {{context.overdue_key_user}}"
#       - title: 3. Switch every consumer to the new key
#         console:
#           - "Update each application, CI/CD secret, secrets-manager entry and ~/.aws/credentials profile that holds {{context.overdue_key_id}}; better, move workloads to IAM roles and drop long-term keys"
#       - title: 4. Deactivate the old key (reversible, unlike deletion)
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials > Access keys > {{context.overdue_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{context.overdue_key_user}} --access-key-id {{context.overdue_key_id}} --status Inactive"
#       - title: 5. Verify for a few days that the old key is no longer used and the new one is (LastUsedDate of the old key stays before the deactivation)
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials: Last used of both keys"
#         cli:
#           - "aws iam get-access-key-last-used --access-key-id {{context.overdue_key_id}}"
#       - title: 6. Delete the old key
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials > Access keys > {{context.overdue_key_id}} > Actions > Delete"
#         cli:
#           - "aws iam delete-access-key --user-name {{context.overdue_key_user}} --access-key-id {{context.overdue_key_id}}"
#     backout:
#       - title: A consumer broke after the deactivation; reactivate the old key while it moves to the new one (impossible once deleted)
#         console:
#           - "IAM > Users > {{context.overdue_key_user}} > Security credentials > Access keys > {{context.overdue_key_id}} > Actions > Activate"
#         cli:
#           - "aws iam update-access-key --user-name {{context.overdue_key_user}} --access-key-id {{context.overdue_key_id}} --status Active"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html
#   runbook:
#     - "Key {{context.overdue_key_id}} of {{context.overdue_key_user}} is {{context.overdue_key_age_days}} days old (created {{context.overdue_key_created}}); it was {{context.overdue_key_role}} in {{event.name}} by {{actor.arn}} at {{event.time}} from {{event.source_ip}}."
#     - "Decide whether the change itself was expected: an old key that suddenly makes identity changes from a new address or user agent ({{event.user_agent}}) may be a leaked copy."
#     - "List what the key did in the triage window: aws cloudtrail lookup-events --region us-east-1 --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{context.overdue_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}"
#     - "Find the key's owner (user tags owner and team) and agree a date for the rotation steps; track it to closure."
package builtin.iam.access_key_rotation_overdue

import data.lib.cloudtrail as ct
import data.lib.iam

# rotation_days is CIS 1.14's rotation period.
rotation_days := 90

alert contains finding if {
	# Every overdue key comes from the enrichment.
	input.enrichment
	ct.success
	some k in overdue
	finding := {
		"msg": sprintf("%s %s, created %d days before and overdue for rotation (CIS 1.14: every %d days).", [ct.summary_phrase, k.phrase, k.key.age_days, rotation_days]),
		"target": iam.target,
		"context": object.union(ct.base_context, {
			"overdue_key_user": k.user,
			"overdue_key_id": k.key.access_key_id,
			"overdue_key_age_days": k.key.age_days,
			"overdue_key_created": k.key.create_date,
			"overdue_key_role": k.role,
			"acted_on_self": iam.acted_on_self,
		}),
	}
}

# The key the call reactivated.
overdue contains {"user": user, "key": key, "role": "reactivated", "phrase": phrase} if {
	input.eventName == "UpdateAccessKey"
	iam.key_status == "Active"
	key := input.enrichment.target.access_keys.event_key
	key.access_key_id == iam.access_key_id
	key.age_days >= rotation_days
	user := input.enrichment.target.user_name
	phrase := sprintf("reactivated %s of %s", [iam.key_phrase, iam.target_phrase])
}

# The long-term key that signed the call.
overdue contains {"user": user, "key": key, "role": "used to sign the call", "phrase": phrase} if {
	key := input.enrichment.actor.access_keys.event_key
	key.access_key_id == ct.long_term_key_id
	key.age_days >= rotation_days
	not rotating_own_keys
	user := input.enrichment.actor.user_name
	phrase := sprintf("called %s with their access key %s", [input.eventName, key.access_key_id])
}

# rotating_own_keys holds for the calls of a rotation: a user creating, deactivating or
# deleting their own keys.
rotating_own_keys if {
	iam.acted_on_self
	input.eventName in {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"}
	not iam.key_status == "Active"
}
