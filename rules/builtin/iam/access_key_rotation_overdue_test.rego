package builtin.iam.access_key_rotation_overdue_test

import data.builtin.iam.access_key_rotation_overdue as rule
import data.lib.test

# alice (signing with AKIAEXAMPLEALICE0001) reactivates bob's key AKIAEXAMPLEBOBKEY001.
base := test.update_access_key(test.iam_user("alice"), {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"})

key(id, age) := {"access_key_id": id, "status": "Active", "create_date": "2025-01-10T08:00:00Z", "age_days": age}

enrichment(target_age, actor_age) := {
	"reference_time": "2026-03-01T10:30:00Z",
	"unavailable": [],
	"target": {"user_name": "bob", "exists": true, "access_keys": {"keys": [key("AKIAEXAMPLEBOBKEY001", target_age)], "event_key": key("AKIAEXAMPLEBOBKEY001", target_age), "oldest_age_days": target_age}},
	"actor": {"user_name": "alice", "exists": true, "access_keys": {"keys": [key("AKIAEXAMPLEALICE0001", actor_age)], "event_key": key("AKIAEXAMPLEALICE0001", actor_age), "oldest_age_days": actor_age}},
}

with_enrichment(rec, e) := test.patched(rec, {"enrichment": e})

test_alert_reactivated_old_key if {
	findings := rule.alert with input as with_enrichment(base, enrichment(415, 10))
	count(findings) == 1
	some f in findings
	f.msg == "alice (IAMUser) from 198.51.100.7 reactivated access key AKIAEXAMPLEBOBKEY001 of IAM user bob, created 415 days before and overdue for rotation (CIS 1.14: every 90 days)."
	f.context.overdue_key_user == "bob"
	f.context.overdue_key_id == "AKIAEXAMPLEBOBKEY001"
	f.context.overdue_key_age_days == 415
	f.context.overdue_key_role == "reactivated"
}

test_alert_signed_with_old_key if {
	rec := test.patched(base, {"eventName": "UpdateUser", "requestParameters": {"userName": "bob", "newUserName": "bob2"}})
	findings := rule.alert with input as with_enrichment(rec, enrichment(0, 120))
	count(findings) == 1
	some f in findings
	f.msg == "alice (IAMUser) from 198.51.100.7 called UpdateUser with their access key AKIAEXAMPLEALICE0001, created 120 days before and overdue for rotation (CIS 1.14: every 90 days)."
	f.context.overdue_key_user == "alice"
	f.context.overdue_key_role == "used to sign the call"
}

test_alert_both_keys_overdue if {
	count(rule.alert) == 2 with input as with_enrichment(base, enrichment(90, 91))
}

# Reactivating one's own old key with the old key is not a rotation step.
test_alert_reactivating_own_key_signed_with_old_key if {
	rec := test.patched(base, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEALICE0002", "status": "Active"}})
	e := test.patched(enrichment(0, 200), {"target": {"user_name": "alice", "exists": true}})
	some f in rule.alert with input as with_enrichment(rec, e)
	f.context.overdue_key_id == "AKIAEXAMPLEALICE0001"
}

test_no_alert_keys_89_days_old if {
	count(rule.alert) == 0 with input as with_enrichment(base, enrichment(89, 89))
}

# The rotation itself: alice creates her new key, then deactivates and deletes the old one,
# each signed with the old key.
test_no_alert_own_rotation if {
	e := test.patched(enrichment(0, 200), {"target": {"user_name": "alice", "exists": true}})
	create := test.patched(base, {"eventName": "CreateAccessKey", "requestParameters": {"userName": "alice"}})
	deactivate := test.patched(base, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEALICE0001", "status": "Inactive"}})
	delete := test.patched(base, {"eventName": "DeleteAccessKey", "requestParameters": {"accessKeyId": "AKIAEXAMPLEALICE0001"}})
	count(rule.alert) == 0 with input as with_enrichment(create, e)
	count(rule.alert) == 0 with input as with_enrichment(deactivate, e)
	count(rule.alert) == 0 with input as with_enrichment(delete, e)
}

# Deactivating another user's old key is what rotation wants: the target key is not flagged.
test_no_alert_deactivating_old_key if {
	rec := test.patched(base, {"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}})
	count(rule.alert) == 0 with input as with_enrichment(rec, enrichment(400, 10))
}

# Signed with a session (ASIA) key: no long-term key of the actor is involved.
test_no_alert_session_credentials if {
	rec := test.patched(base, {"userIdentity": object.union(base.userIdentity, {"accessKeyId": "ASIAEXAMPLESESSION01"})})
	count(rule.alert) == 0 with input as with_enrichment(rec, enrichment(10, 400))
}

test_no_alert_failed_call if {
	rec := test.patched(base, {"errorCode": "AccessDenied", "errorMessage": "not authorized"})
	count(rule.alert) == 0 with input as with_enrichment(rec, enrichment(400, 400))
}

test_no_alert_without_enrichment if {
	count(rule.alert) == 0 with input as base
}
