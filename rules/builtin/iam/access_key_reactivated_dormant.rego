# METADATA
# title: Dormant or never-used IAM access key reactivated
# description: |
#   UpdateAccessKey set an access key back to Active, and IAM's record of the key
#   (GetAccessKeyLastUsed, read by the detector after the event) shows it had not been used for
#   90 days or more before the event, or never at all. CIS AWS Foundations v3.0.0 1.12 has
#   credentials unused for 45 days or more disabled, and 1.14 has keys rotated within 90 days: a
#   key idle that long has no consumer that depends on it, so bringing it back revives a
#   credential nobody watches, the pattern of an attacker who holds an old secret. CRITICAL.
#
#   Needs enrichment (input.enrichment.target.access_key_last_used, and access_keys for the
#   key's age); without it the rule stays silent and TH-IAM-001 still reports the reactivation.
#   When the key was used after the event (the last use is at or after eventTime), how long it
#   had been idle before cannot be known and this rule stays silent too.
# custom:
#   id: TH-IAM-101
#   version: 1
#   severity: CRITICAL
#   events:
#     - iam.amazonaws.com:UpdateAccessKey
#   attack: ["TA0003:T1098.001", "TA0003:T1078.004"]
#   compliance:
#     cis-aws-foundations-v3.0.0: ["1.12", "1.14"]
#     nist-sp-800-53-r5: ["AC-2(3)", "IA-5(1)"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccessKeyLastUsed.html
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_finding-unused.html
#     - https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-8
#   enrich: [target_access_key_last_used, target_access_keys]
#   remediation:
#     summary: >-
#       Deactivate the key again at once and keep it inactive until its owner shows a current
#       need; a key unused this long should be deleted (CIS 1.12), and sessions already minted
#       with it must be cut off because deactivation does not revoke them.
#     containment:
#       - title: Deactivate the reactivated key
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"
#       - title: >-
#           Revoke temporary credentials already issued with the key: deny every request of the
#           user signed with a token issued before now
#         console:
#           - "IAM > Users > {{target.user_name}} > Permissions > Add permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions"
#           - "Role sessions assumed with the key are governed by the role: find AssumeRole events signed by {{target.access_key_id}} and revoke those roles' sessions (IAM > Roles > role > Revoke sessions)"
#         cli:
#           - 'aws iam put-user-policy --user-name {{target.user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#     steps:
#       - title: Confirm the key's history (last use, age, the user's other keys)
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials: Last used and Created for {{target.access_key_id}}"
#         cli:
#           - "aws iam get-access-key-last-used --access-key-id {{target.access_key_id}}"
#           - "aws iam list-access-keys --user-name {{target.user_name}}"
#       - title: Delete the dormant key (it cannot be restored; a consumer that truly needs access gets a new key)
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Delete"
#         cli:
#           - "aws iam delete-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}}"
#     backout:
#       - title: The owner proved a current need; restore the key and lift the session deny
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Actions > Activate"
#           - "IAM > Users > {{target.user_name}} > Permissions > remove the inline policy trailhound-revoke-older-sessions"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{target.user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#   runbook:
#     - "Treat {{target.access_key_id}} as compromised: it was idle ({{context.dormancy}}) until {{actor.arn}} reactivated it at {{event.time}} from {{event.source_ip}}."
#     - "Ask the owner of {{target.user_name}} (see context.enrichment for tags) whether anything still uses the key; a consumer idle for 90+ days rarely needs it back."
#     - "List what the key did since {{event.time}}, in every region: aws cloudtrail lookup-events --region REGION --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{target.access_key_id}} --start-time {{event.time}}; look for GetSessionToken and AssumeRole (sessions outlive the key) and reads of secrets."
#     - "Find who deactivated it and why: the last UpdateAccessKey with status Inactive for {{target.access_key_id}} (a CIS 1.12 clean-up, a rotation, or an incident responder)."
package builtin.iam.access_key_reactivated_dormant

import data.lib.cloudtrail as ct
import data.lib.iam

# dormant_after_days is the idle period that makes a reactivation critical (CIS 1.14's 90-day
# rotation period; CIS 1.12 already disables credentials unused for 45 days).
dormant_after_days := 90

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	input.eventName == "UpdateAccessKey"

	# Every dormancy needs last_used, so this holds whenever the rule alerts.
	input.enrichment.target.access_key_last_used.exists == true
	iam.key_status == "Active"
	ct.success
	some dormancy in dormancies
	finding := {
		"msg": sprintf("%s reactivated %s of %s, %s.", [ct.summary_phrase, iam.key_phrase, iam.target_phrase, dormancy]),
		"target": iam.target,
		"context": object.union(ct.base_context, object.union(facts, {"dormancy": dormancy})),
	}
}

# last_used is the enrichment's GetAccessKeyLastUsed result for the key this event names.
last_used := lu if {
	lu := input.enrichment.target.access_key_last_used
	lu.access_key_id == iam.access_key_id
	lu.exists == true
}

# event_key is the key's metadata (age) from ListAccessKeys, when looked up.
event_key := k if {
	k := input.enrichment.target.access_keys.event_key
	k.access_key_id == iam.access_key_id
}

dormancies contains sprintf("which had not been used for %d days (last used %s with %s in %s)", [d, last_used.last_used_date, last_used.service_name, last_used.region]) if {
	last_used.used == true
	last_used.used_after_event == false
	d := last_used.days_unused
	d >= dormant_after_days
}

dormancies contains sprintf("which had never been used (created %d days before)", [event_key.age_days]) if {
	last_used.used == false
	known_age
}

dormancies contains "which had never been used" if {
	last_used.used == false
	not known_age
}

known_age if event_key.age_days >= 0

facts := {k: v |
	some [k, vs] in [
		["never_used", [x | x := last_used.used == false]],
		["days_unused", [x | x := last_used.days_unused]],
		["last_used_date", [x | x := last_used.last_used_date]],
		["last_used_service", [x | x := last_used.service_name]],
		["last_used_region", [x | x := last_used.region]],
		["key_age_days", [x | x := event_key.age_days]],
		["key_created", [x | x := event_key.create_date]],
		["acted_on_self", [iam.acted_on_self]],
	]
	some v in vs
}
