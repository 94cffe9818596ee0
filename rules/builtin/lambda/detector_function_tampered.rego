# METADATA
# title: trailhound's Lambda function deleted, replaced, reconfigured, throttled or cut off
# description: |
#   A Lambda management call hit the trailhound detector function (deploy/template.yaml names
#   it <stack>-detector, and the stack is named with the trailhound prefix; see
#   lib.detector). Lambda records versioned event names, so each is listed: DeleteFunction20150331,
#   UpdateFunctionCode20150331v2, UpdateFunctionConfiguration20150331v2,
#   PutFunctionConcurrency20171031, DeleteFunctionConcurrency20171031, AddPermission20150331v2,
#   RemovePermission20150331v2 (who may invoke it: EventBridge's permission removed cuts the
#   feed), CreateAlias20150331, UpdateAlias20150331, DeleteAlias20150331 (what a qualified
#   invocation runs), Create/Update/DeleteEventSourceMapping20150331 (the SQS queue that feeds
#   it; Update and Delete name the mapping by UUID, so the function is read from the
#   response's functionArn), and the older unsuffixed and 20150331 forms. Other functions
#   are not reported.
#
#   Severity by effect: deletion, reserved concurrency set to 0 (every invocation
#   throttled), an invoke permission removed or an event source mapping deleted, CRITICAL;
#   new code or configuration (role, environment, timeout; the Environment parameter is
#   omitted from CloudTrail), a new invoke permission, an alias changed or deleted, an event
#   source mapping changed, HIGH; another reserved concurrency value, a new alias or event
#   source mapping MEDIUM; reserved concurrency removed LOW. One step lower when
#   CloudFormation made the call (a stack deployment); MEDIUM when the call was denied.
#
#   A deleted or replaced detector cannot report on itself: run these rules where the
#   function's account forwards its events (a central security account), or alarm on the
#   function's missing invocations, so tampering is seen by something the attacker did not
#   just change.
# custom:
#   id: TH-LMB-001
#   version: 1
#   severity: CRITICAL
#   events:
#     - lambda.amazonaws.com:DeleteFunction20150331
#     - lambda.amazonaws.com:DeleteFunction
#     - lambda.amazonaws.com:UpdateFunctionCode20150331v2
#     - lambda.amazonaws.com:UpdateFunctionCode20150331
#     - lambda.amazonaws.com:UpdateFunctionCode
#     - lambda.amazonaws.com:UpdateFunctionConfiguration20150331v2
#     - lambda.amazonaws.com:UpdateFunctionConfiguration20150331
#     - lambda.amazonaws.com:UpdateFunctionConfiguration
#     - lambda.amazonaws.com:PutFunctionConcurrency20171031
#     - lambda.amazonaws.com:DeleteFunctionConcurrency20171031
#     - lambda.amazonaws.com:AddPermission20150331v2
#     - lambda.amazonaws.com:AddPermission20150331
#     - lambda.amazonaws.com:AddPermission
#     - lambda.amazonaws.com:RemovePermission20150331v2
#     - lambda.amazonaws.com:RemovePermission20150331
#     - lambda.amazonaws.com:RemovePermission
#     - lambda.amazonaws.com:CreateAlias20150331
#     - lambda.amazonaws.com:UpdateAlias20150331
#     - lambda.amazonaws.com:DeleteAlias20150331
#     - lambda.amazonaws.com:CreateEventSourceMapping20150331
#     - lambda.amazonaws.com:UpdateEventSourceMapping20150331
#     - lambda.amazonaws.com:DeleteEventSourceMapping20150331
#   attack: ["TA0005:T1562.001"]
#   compliance:
#     nist-sp-800-53-r5: ["SI-4", "AU-9", "CM-3"]
#   references:
#     - https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html
#     - https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html
#     - https://docs.aws.amazon.com/lambda/latest/api/API_RemovePermission.html
#     - https://attack.mitre.org/techniques/T1562/001/
#   dedup: {window: 1h, by: [target.function_name, event.name]}
#   remediation:
#     summary: >-
#       Get the detector running its released code and configuration again (redeploy the
#       trailhound stack; lift a throttle to zero at once), contain the caller unless the
#       change was approved, and replay the events the detector missed.
#     containment:
#       - title: Lift a throttle to zero (the function runs again on unreserved concurrency)
#         console:
#           - "Lambda console in {{event.region}} > Functions > {{target.function_name}} > Configuration > Concurrency > Edit > Use unreserved account concurrency"
#         cli:
#           - "aws lambda delete-function-concurrency --function-name {{context.throttled_function_name}} --region {{event.region}}"
#       - title: >-
#           Put the released code and configuration back (redeploy the trailhound stack from
#           the release; compare CodeSha256 with the release before and after)
#         console:
#           - "CloudFormation console in {{event.region}} > the trailhound stack > Update > Use current template, or sam deploy from the release tag; a deleted function is recreated the same way"
#         cli:
#           - "aws lambda get-function --function-name {{target.function_name}} --region {{event.region}}"
#           - "aws lambda get-function-configuration --function-name {{target.function_name}} --region {{event.region}}"
#       - title: If the change was not approved, contain the caller (IAM user caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_user_name}} > Security credentials > deactivate access key {{context.actor_long_term_key_id}} and remove the console password (Manage console access > Disable)"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Inactive"
#           - "aws iam delete-login-profile --user-name {{context.actor_user_name}}"
#           - 'aws iam put-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: If the change was not approved, contain the caller (assumed-role caller)
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Roles > {{context.actor_revocable_role_name}} > Revoke sessions > Revoke active sessions"
#         cli:
#           - 'aws iam put-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#       - title: "If the change was not approved, contain the caller (IAM Identity Center caller: IAM refuses changes to its role {{context.actor_sso_role_name}})"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM Identity Center console (management or delegated administrator account) > Users > the user of session {{actor.arn}} > Active sessions > Revoke all sessions; then remove or narrow their assignment of the permission set behind {{context.actor_sso_role_name}} (Multi-account permissions > AWS accounts)"
#       - title: "If the change was not approved, contain the caller (federated user caller: its session is governed by IAM user {{context.actor_federating_user_name}}, who called GetFederationToken)"
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#           - "IAM > Users > {{context.actor_federating_user_name}} > Permissions > Create inline policy > JSON: Deny Action * on Resource * with condition DateLessThan aws:TokenIssueTime = the current UTC time; name it trailhound-revoke-older-sessions (it denies every federation token the user issued before now); then deactivate the access key the user called GetFederationToken with"
#         cli:
#           - 'aws iam put-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}}}]}"'
#           - "aws iam list-access-keys --user-name {{context.actor_federating_user_name}}"
#     steps:
#       - title: Review who may invoke the function, its aliases and what feeds it (the released template grants events.amazonaws.com lambda:InvokeFunction from the detector's rules)
#         console:
#           - "Lambda console in {{event.region}} > Functions > {{target.function_name}} > Configuration > Permissions > Resource-based policy statements, and Triggers"
#         cli:
#           - "aws lambda list-aliases --function-name {{target.function_name}} --region {{event.region}}"
#           - "aws lambda list-event-source-mappings --function-name {{target.function_name}} --region {{event.region}}"
#       - title: Review the function's versions and concurrency
#         cli:
#           - "aws lambda list-versions-by-function --function-name {{target.function_name}} --region {{event.region}}"
#           - "aws lambda get-function-concurrency --function-name {{target.function_name}} --region {{event.region}}"
#       - title: Replay what the detector missed
#         console:
#           - "Run detector replay over the trail's S3 logs from {{event.time}} until the released detector was back"
#     backout:
#       - title: The throttle was an approved change; set it again
#         cli:
#           - "aws lambda put-function-concurrency --function-name {{context.throttled_function_name}} --reserved-concurrent-executions 0 --region {{event.region}}"
#       - title: Lift the containment of the caller
#         console:
#           - "Run this in account {{context.containment_account}}, the caller's own account: the caller's user or role is not in account {{event.account}}"
#         cli:
#           - "aws iam update-access-key --user-name {{context.actor_user_name}} --access-key-id {{context.actor_long_term_key_id}} --status Active"
#           - "aws iam delete-user-policy --user-name {{context.actor_user_name}} --policy-name trailhound-revoke-older-sessions"
#           - "aws iam delete-role-policy --role-name {{context.actor_revocable_role_name}} --policy-name AWSRevokeOlderSessions"
#           - "aws iam delete-user-policy --user-name {{context.actor_federating_user_name}} --policy-name trailhound-revoke-older-sessions"
#     references:
#       - https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
#       - https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
#   runbook:
#     - "Check for an approved trailhound release or change at {{event.time}} (context.via_cloudformation tells whether a stack deployment made the call); otherwise treat {{actor.arn}} as compromised."
#     - "For new code, compare context.code_sha256 with the CodeSha256 of the released artifact; a mismatch means the detector now runs code nobody reviewed, and its own alerts since {{event.time}} cannot be trusted."
#     - "Bound the blind window from {{event.time}} until the released detector runs again (its Invocations and Throttles metrics in CloudWatch) and replay it."
#     - "List what the caller did around the change: aws cloudtrail lookup-events --region {{event.region}} --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={{actor.access_key_id}} --start-time {{context.window_start}} --end-time {{context.window_end}}; look for the EventBridge rule (DeleteRule, DisableRule, RemoveTargets), the trails (StopLogging, PutEventSelectors) and the detector's role (PutRolePolicy, DetachRolePolicy)."
package builtin.lambda.detector_function_tampered

import data.lib.cloudtrail as ct
import data.lib.detector
import data.lib.severity

# kind maps each recorded eventName to the change it makes.
kind := {
	"DeleteFunction20150331": "delete",
	"DeleteFunction": "delete",
	"UpdateFunctionCode20150331v2": "code",
	"UpdateFunctionCode20150331": "code",
	"UpdateFunctionCode": "code",
	"UpdateFunctionConfiguration20150331v2": "configuration",
	"UpdateFunctionConfiguration20150331": "configuration",
	"UpdateFunctionConfiguration": "configuration",
	"PutFunctionConcurrency20171031": "concurrency",
	"DeleteFunctionConcurrency20171031": "concurrency_removed",
	"AddPermission20150331v2": "permission_added",
	"AddPermission20150331": "permission_added",
	"AddPermission": "permission_added",
	"RemovePermission20150331v2": "permission_removed",
	"RemovePermission20150331": "permission_removed",
	"RemovePermission": "permission_removed",
	"CreateAlias20150331": "alias_created",
	"UpdateAlias20150331": "alias_changed",
	"DeleteAlias20150331": "alias_changed",
	"CreateEventSourceMapping20150331": "mapping_created",
	"UpdateEventSourceMapping20150331": "mapping_changed",
	"DeleteEventSourceMapping20150331": "mapping_deleted",
}

alert contains finding if {
	input.eventSource == "lambda.amazonaws.com"
	detector.is_detector_function(detector.function_ref)
	ct.success
	change := kind[input.eventName]

	finding := {
		"msg": sprintf("%s %s in %s, the trailhound detector.", [ct.summary_phrase, _effect[change], _region]),
		"target": {"function_name": function_name},
		"severity": _success_severity(change),
		"context": object.union(ct.caller_context, _extra_context),
	}
}

alert contains finding if {
	input.eventSource == "lambda.amazonaws.com"
	kind[input.eventName]
	detector.is_detector_function(detector.function_ref)
	input.errorCode
	ct.denied

	finding := {
		"msg": sprintf("%s was denied %s on Lambda function %s in %s, the trailhound detector (%s).", [ct.summary_phrase, input.eventName, function_name, _region, ct.error_code]),
		"target": {"function_name": function_name},
		"severity": "MEDIUM",
		"context": object.union(ct.caller_context, _extra_context),
	}
}

# function_name is the bare function name (the request may give an ARN or name:qualifier).
function_name := detector.function_name(detector.function_ref)

# reserved is PutFunctionConcurrency's reservedConcurrentExecutions.
reserved := n if {
	n := input.requestParameters.reservedConcurrentExecutions
	is_number(n)
}

default throttled := false

throttled if reserved == 0

_effect["delete"] := sprintf("deleted Lambda function %s", [function_name])

_effect["code"] := sprintf("replaced the code of Lambda function %s", [function_name])

_effect["configuration"] := sprintf("changed the configuration of Lambda function %s", [function_name])

_effect["concurrency"] := sprintf("set the reserved concurrency of Lambda function %s to 0, throttling every invocation,", [function_name]) if throttled

_effect["concurrency"] := sprintf("set the reserved concurrency of Lambda function %s to %v", [function_name, reserved]) if {
	not throttled
	reserved
}

_effect["concurrency"] := sprintf("set the reserved concurrency of Lambda function %s", [function_name]) if not reserved

_effect["concurrency_removed"] := sprintf("removed the reserved concurrency of Lambda function %s", [function_name])

_effect["permission_added"] := sprintf("allowed %v to invoke Lambda function %s", [_principal, function_name])

_effect["permission_removed"] := sprintf("removed invoke permission %v from Lambda function %s", [_statement, function_name])

_effect["alias_created"] := sprintf("created an alias of Lambda function %s", [function_name])

_effect["alias_changed"] := sprintf("%s an alias of Lambda function %s", [_alias_verb, function_name])

_effect["mapping_created"] := sprintf("created an event source mapping for Lambda function %s", [function_name])

_effect["mapping_changed"] := sprintf("changed an event source mapping of Lambda function %s", [function_name])

_effect["mapping_deleted"] := sprintf("deleted an event source mapping of Lambda function %s", [function_name])

_principal := p if {
	p := input.requestParameters.principal
	ct.present(p)
} else := "another principal"

_statement := s if {
	s := input.requestParameters.statementId
	ct.present(s)
} else := "a statement"

_alias_verb := "deleted" if input.eventName == "DeleteAlias20150331"

_alias_verb := "changed" if input.eventName != "DeleteAlias20150331"

_base_severity("delete") := "CRITICAL"

_base_severity("code") := "HIGH"

_base_severity("configuration") := "HIGH"

_base_severity("concurrency") := "CRITICAL" if throttled

_base_severity("concurrency") := "MEDIUM" if not throttled

_base_severity("concurrency_removed") := "LOW"

_base_severity("permission_added") := "HIGH"

_base_severity("permission_removed") := "CRITICAL"

_base_severity("alias_created") := "MEDIUM"

_base_severity("alias_changed") := "HIGH"

_base_severity("mapping_created") := "MEDIUM"

_base_severity("mapping_changed") := "HIGH"

_base_severity("mapping_deleted") := "CRITICAL"

# _change_step_down explains a base severity below the rule's CRITICAL.
_change_step_down := sprintf("%s: the detector may still run and be invoked as released", [_effect_kind[kind[input.eventName]]]) if _base_severity(kind[input.eventName]) != "CRITICAL"

_effect_kind := {
	"code": "new code, not a deletion or a throttle to zero",
	"configuration": "new configuration, not a deletion or a throttle to zero",
	"concurrency": "a reserved concurrency above 0",
	"concurrency_removed": "reserved concurrency removed",
	"permission_added": "a new invoke permission",
	"alias_created": "a new alias",
	"alias_changed": "an alias changed or deleted",
	"mapping_created": "a new event source mapping",
	"mapping_changed": "an event source mapping changed",
}

_success_severity(change) := severity.step_down(_base_severity(change)) if {
	ct.via_cloudformation
} else := _base_severity(change)

_region := r if {
	r := input.awsRegion
	ct.present(r)
} else := "an unknown region"

# _extra_context: throttled_function_name gates the commands that lift or re-apply a
# throttle to zero.
_extra_context := {k: v |
	some [k, vs] in [
		["via_cloudformation", [ct.via_cloudformation]],
		["step_down_reasons", [sort(_step_downs) | count(_step_downs) > 0]],
		["change", [x | x := kind[input.eventName]]],
		["reserved_concurrency", [x | x := reserved]],
		["throttled_function_name", [function_name | throttled]],
		["code_sha256", [x | x := _code_sha256]],
	]
	some v in vs
}

_code_sha256 := sha if {
	sha := input.responseElements.codeSha256
	ct.present(sha)
}

_step_downs contains _change_step_down if ct.success

_step_downs contains ct.cloudformation_step_down if ct.success

_step_downs contains sprintf("the call was denied (%s): nothing changed", [ct.error_code]) if {
	input.errorCode
	ct.denied
}
