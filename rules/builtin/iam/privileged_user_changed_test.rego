package builtin.iam.privileged_user_changed_test

import data.builtin.iam.privileged_user_changed as rule
import data.lib.test

# mallory creates an access key for bob.
base := test.patched(
	test.create_access_key(test.iam_user("mallory"), {"userName": "bob"}),
	{
		"sourceIPAddress": "203.0.113.50",
		"responseElements": {"accessKey": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBNEW001", "status": "Active", "createDate": "Mar 1, 2026 10:30:00 AM"}},
	},
)

target(admin, mfa, console) := {
	"user_name": "bob",
	"exists": true,
	"groups_policies": {
		"groups": ["admins"],
		"attached_policies": [p |
			admin
			p := {"policy_name": "AdministratorAccess", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess", "via": "group:admins", "allows_all": true}
		],
		"inline_policies": [{"policy_name": "read-only", "via": "user", "allows_all": false}],
		"is_admin": admin,
		"admin_reasons": [r | admin; r := "managed policy AdministratorAccess attached via group admins"],
		"truncated": false,
	},
	"mfa": {"enabled": mfa, "devices": []},
	"login_profile": {"console_access": console, "password_reset_required": false},
}

with_target(rec, t) := test.patched(rec, {"enrichment": {"reference_time": "2026-03-01T10:30:00Z", "unavailable": [], "target": t}})

test_alert_admin_without_mfa_is_critical if {
	some f in rule.alert with input as with_target(base, target(true, false, true))
	f.severity == "CRITICAL"
	f.msg == "mallory (IAMUser) from 203.0.113.50 ran CreateAccessKey on IAM user bob, who is an administrator without MFA."
	f.target.access_key_id == "AKIAEXAMPLEBOBNEW001"
	f.context.target_is_admin == true
	f.context.target_mfa_enabled == false
	f.context.admin_reasons == ["managed policy AdministratorAccess attached via group admins"]
	f.context.admin_group == "admins"
	not f.context.admin_policy_arn
	not f.context.admin_inline_policy
}

# The grants the remediation commands remove: attached to the user, inline, via groups.
test_alert_names_each_grant if {
	gp := {
		"groups": ["ops", "admins"],
		"attached_policies": [
			{"policy_name": "full", "policy_arn": "arn:aws:iam::111122223333:policy/full", "via": "user", "allows_all": true},
			{"policy_name": "ReadOnlyAccess", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "via": "user", "allows_all": false},
		],
		"inline_policies": [
			{"policy_name": "everything", "via": "user", "allows_all": true},
			{"policy_name": "ops-all", "via": "group:ops", "allows_all": true},
		],
		"is_admin": true,
		"admin_reasons": ["..."],
		"truncated": false,
	}
	t := object.union(target(true, true, true), {"groups_policies": gp})
	some f in rule.alert with input as with_target(base, t)
	f.context.admin_policy_arn == "arn:aws:iam::111122223333:policy/full"
	f.context.admin_inline_policy == "everything"
	f.context.admin_group == "ops"
}

# Deactivating an administrator's key removes a credential: not a takeover.
test_no_alert_deactivating_admin_key if {
	rec := test.patched(base, {"eventName": "UpdateAccessKey", "requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}, "responseElements": null})
	count(rule.alert) == 0 with input as with_target(rec, target(true, false, true))
}

test_alert_reactivating_admin_key if {
	rec := test.patched(base, {"eventName": "UpdateAccessKey", "requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"}, "responseElements": null})
	count(rule.alert) == 1 with input as with_target(rec, target(true, false, true))
}

test_alert_admin_with_mfa_is_high if {
	some f in rule.alert with input as with_target(base, target(true, true, true))
	f.severity == "HIGH"
	f.context.posture == "an administrator"
}

test_alert_console_user_without_mfa_is_medium if {
	rec := test.patched(base, {"eventName": "UpdateLoginProfile", "requestParameters": {"userName": "bob", "passwordResetRequired": false}, "responseElements": null})
	some f in rule.alert with input as with_target(rec, target(false, false, true))
	f.severity == "MEDIUM"
	f.context.posture == "a console user without MFA"
}

# MFA removed from an administrator: IAM, looked up after the event, shows no device.
test_alert_mfa_deactivated_on_admin if {
	rec := test.patched(base, {"eventName": "DeactivateMFADevice", "requestParameters": {"userName": "bob", "serialNumber": "arn:aws:iam::111122223333:mfa/bob"}, "responseElements": null})
	some f in rule.alert with input as with_target(rec, target(true, false, false))
	f.severity == "CRITICAL"
}

# An assumed role acting on a user acts on another user.
test_alert_role_caller if {
	rec := test.patched(base, {"userIdentity": {
		"type": "AssumedRole",
		"arn": "arn:aws:sts::111122223333:assumed-role/Ops/carol",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLESESSION01",
		"sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Ops", "userName": "Ops"}},
	}})
	count(rule.alert) == 1 with input as with_target(rec, target(true, true, false))
}

test_no_alert_ordinary_user if {
	count(rule.alert) == 0 with input as with_target(base, target(false, true, true))
}

# Programmatic-only user without MFA: CIS 1.10 asks MFA of console users.
test_no_alert_programmatic_user_without_mfa if {
	count(rule.alert) == 0 with input as with_target(base, target(false, false, false))
}

test_no_alert_acting_on_self if {
	rec := test.patched(base, {"userIdentity": object.union(base.userIdentity, {"arn": "arn:aws:iam::111122223333:user/bob", "userName": "bob"})})
	count(rule.alert) == 0 with input as with_target(rec, target(true, false, true))
}

# "bobby" is another user than "bob": exact names, no substring match, so this alerts.
test_alert_similar_name_is_other_user if {
	rec := test.patched(base, {"userIdentity": object.union(base.userIdentity, {"arn": "arn:aws:iam::111122223333:user/bobby", "userName": "bobby"})})
	count(rule.alert) == 1 with input as with_target(rec, target(true, false, true))
}

test_no_alert_user_gone if {
	count(rule.alert) == 0 with input as with_target(base, {"user_name": "bob", "exists": false})
}

# MFA not looked up (the lookup failed): no claim that the user lacks MFA.
test_no_alert_mfa_unknown if {
	t := object.remove(target(false, false, true), ["mfa"])
	count(rule.alert) == 0 with input as with_target(base, t)
}

test_no_alert_denied if {
	rec := test.patched(base, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:CreateAccessKey on resource: user bob", "responseElements": null})
	count(rule.alert) == 0 with input as with_target(rec, target(true, false, true))
}

test_no_alert_without_enrichment if {
	count(rule.alert) == 0 with input as base
}
