# METADATA
# title: Payments service user access key changed outside the deploy pipeline
# description: |
#   An access key of a payments service user (parameters.service_users in team.yaml) was
#   created or set back to Active by a caller other than the payments deploy roles
#   (parameters.deploy_roles). Those keys carry card-processing permissions and change only
#   through the deploy pipeline, so any other change is either an incident or a process gap.
# custom:
#   id: PAYMENTS-001
#   version: 1
#   severity: HIGH
#   events:
#     - iam.amazonaws.com:CreateAccessKey
#     - iam.amazonaws.com:UpdateAccessKey
#   attack: ["TA0003:T1098.001"]
#   compliance:
#     pci-dss-v4.0: ["8.3.9", "8.6.3"]
#   references:
#     - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html
#   dedup: {window: 1h, by: [actor.arn, target.user_name]}
#   remediation:
#     summary: >-
#       Deactivate the key unless payments-secops confirms the change; the deploy pipeline
#       issues the keys the services need.
#     containment:
#       - title: Deactivate the key
#         console:
#           - "IAM > Users > {{target.user_name}} > Security credentials > Access keys > {{target.access_key_id}} > Deactivate"
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Inactive"
#     steps:
#       - title: List the user's keys and when each was last used
#         cli:
#           - "aws iam list-access-keys --user-name {{target.user_name}}"
#           - "aws iam get-access-key-last-used --access-key-id {{target.access_key_id}}"
#     backout:
#       - title: Reactivate the key once payments-secops confirms the change
#         cli:
#           - "aws iam update-access-key --user-name {{target.user_name}} --access-key-id {{target.access_key_id}} --status Active"
#   runbook:
#     - "Ask payments-secops whether {{actor.arn}} was meant to change the keys of {{target.user_name}} at {{event.time}}."
#     - "Check the payments deploy pipeline's runs around {{event.time}}: a change it made comes from a deploy role, not from {{actor.arn}}."
#     - "If nobody owns the change, deactivate {{target.access_key_id}} and review what it called since {{event.time}}."
package teams.payments.service_user_key_changed

import data.lib.cloudtrail as ct
import data.lib.iam
import data.teams.payments.parameters

alert contains finding if {
	input.eventSource == "iam.amazonaws.com"
	ct.success
	grants_access
	iam.target_user_name in parameters.service_users
	not from_deploy_role

	finding := {
		"msg": sprintf("%s %s %s of payments service user %s outside the deploy pipeline.", [ct.summary_phrase, verb, iam.key_phrase, iam.target_user_name]),
		"target": iam.target,
		"context": ct.base_context,
	}
}

# grants_access: the call made a key usable (created it, or set it Active).
grants_access if input.eventName == "CreateAccessKey"

grants_access if {
	input.eventName == "UpdateAccessKey"
	iam.key_status == "Active"
}

verb := "created" if input.eventName == "CreateAccessKey"

verb := "reactivated" if input.eventName == "UpdateAccessKey"

from_deploy_role if ct.session_issuer_arn in parameters.deploy_roles
