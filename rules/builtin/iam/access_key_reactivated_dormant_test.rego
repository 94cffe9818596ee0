package builtin.iam.access_key_reactivated_dormant_test

import data.builtin.iam.access_key_reactivated_dormant as rule
import data.lib.test

# alice reactivates bob's key; the enrichment says what IAM knew about the key.
base := test.update_access_key(test.iam_user("alice"), {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"})

# test.patched(rec, patch) is rec with the top-level keys of patch replaced (object.union would
# merge nested objects).
key := {"access_key_id": "AKIAEXAMPLEBOBKEY001", "status": "Active", "create_date": "2025-01-10T08:00:00Z", "age_days": 415}

used(days) := {
	"access_key_id": "AKIAEXAMPLEBOBKEY001",
	"exists": true,
	"used": true,
	"last_used_date": "2025-07-31T09:12:00Z",
	"service_name": "s3",
	"region": "eu-west-1",
	"used_after_event": false,
	"days_unused": days,
}

never_used := {"access_key_id": "AKIAEXAMPLEBOBKEY001", "exists": true, "used": false, "used_after_event": false}

enriched(rec, last_used) := test.patched(rec, {"enrichment": {
	"reference_time": "2026-03-01T10:30:00Z",
	"unavailable": [],
	"target": {
		"user_name": "bob",
		"exists": true,
		"access_key_last_used": last_used,
		"access_keys": {"keys": [key], "event_key": key, "oldest_age_days": 415},
	},
}})

# The finding carries no severity of its own: the declared CRITICAL applies.
test_alert_unused_213_days if {
	some f in rule.alert with input as enriched(base, used(213))
	f.msg == "alice (IAMUser) from 198.51.100.7 reactivated access key AKIAEXAMPLEBOBKEY001 of IAM user bob, which had not been used for 213 days (last used 2025-07-31T09:12:00Z with s3 in eu-west-1)."
	f.target.user_name == "bob"
	f.target.access_key_id == "AKIAEXAMPLEBOBKEY001"
	f.context.days_unused == 213
	f.context.key_age_days == 415
	f.context.never_used == false
}

test_alert_exactly_90_days if {
	count(rule.alert) == 1 with input as enriched(base, used(90))
}

test_alert_never_used if {
	some f in rule.alert with input as enriched(base, never_used)
	f.context.never_used == true
	f.context.dormancy == "which had never been used (created 415 days before)"
	not f.context.days_unused
}

test_alert_never_used_without_key_age if {
	rec := test.patched(base, {"enrichment": {"target": {"user_name": "bob", "exists": true, "access_key_last_used": never_used}}})
	some f in rule.alert with input as rec
	f.context.dormancy == "which had never been used"
}

# Acting on one's own key (no userName) is still a dormant credential coming back.
test_alert_own_key if {
	rec := test.patched(base, {"requestParameters": {"accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active"}})
	some f in rule.alert with input as enriched(rec, never_used)
	f.context.acted_on_self == true
}

test_no_alert_used_89_days_ago if {
	count(rule.alert) == 0 with input as enriched(base, used(89))
}

# Used since the event (e.g. right after the reactivation): the idle period is unknown.
test_no_alert_used_after_event if {
	lu := object.union(object.remove(used(0), ["days_unused"]), {"last_used_date": "2026-03-01T10:31:00Z", "used_after_event": true})
	count(rule.alert) == 0 with input as enriched(base, lu)
}

test_no_alert_deactivation if {
	rec := test.patched(base, {"requestParameters": {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Inactive"}})
	count(rule.alert) == 0 with input as enriched(rec, never_used)
}

test_no_alert_denied_call if {
	rec := object.union(base, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:UpdateAccessKey on resource: user bob"})
	count(rule.alert) == 0 with input as enriched(rec, never_used)
}

# The lookup is about another key than the one the event names: not evidence.
test_no_alert_other_key if {
	lu := object.union(never_used, {"access_key_id": "AKIAEXAMPLEOTHERKEY1"})
	count(rule.alert) == 0 with input as enriched(base, lu)
}

# The key no longer exists (deleted since): not evidence of dormancy.
test_no_alert_key_gone if {
	count(rule.alert) == 0 with input as enriched(base, {"access_key_id": "AKIAEXAMPLEBOBKEY001", "exists": false, "used": false, "used_after_event": false})
}

test_no_alert_without_enrichment if {
	count(rule.alert) == 0 with input as base
}
