package teams.payments.service_user_key_changed_test

import data.lib.test
import data.teams.payments.service_user_key_changed as rule

# A session of the deploy pipeline's role (parameters.deploy_roles).
deploy_role := test.assumed_role("payments-deploy", "pipeline")

create_key := test.patched(test.create_access_key(test.iam_user("alice"), {"userName": "payments-card-api"}), {
	"userAgent": "aws-cli/2.17.20",
	"responseElements": {"accessKey": {
		"userName": "payments-card-api",
		"accessKeyId": "AKIAEXAMPLECARDAPI01",
		"status": "Active",
		"createDate": "Mar 1, 2026 10:30:00 AM",
	}},
})

reactivate_key := test.patched(create_key, {
	"eventName": "UpdateAccessKey",
	"requestParameters": {"userName": "payments-settlement-batch", "accessKeyId": "AKIAEXAMPLESETTLE001", "status": "Active"},
	"responseElements": null,
})

test_alert_key_created_for_service_user if {
	f := test.one(rule.alert) with input as create_key
	f.msg == "alice (IAMUser) from 198.51.100.7 created access key AKIAEXAMPLECARDAPI01 of payments service user payments-card-api outside the deploy pipeline."
	f.target.user_name == "payments-card-api"
	f.target.access_key_id == "AKIAEXAMPLECARDAPI01"
}

test_alert_key_reactivated_for_service_user if {
	f := test.one(rule.alert) with input as reactivate_key
	f.target == {"user_name": "payments-settlement-batch", "access_key_id": "AKIAEXAMPLESETTLE001", "status": "Active"}
	contains(f.msg, "reactivated access key AKIAEXAMPLESETTLE001")
}

# The parameters come from team.yaml; a test replaces the whole parameters object (it is a
# generated rule, which `with` cannot replace in part).
test_alert_uses_the_team_parameters if {
	rec := test.patched(create_key, {"requestParameters": {"userName": "ledger"}, "responseElements": null})
	count(rule.alert) == 0 with input as rec
	params := object.union(data.teams.payments.parameters, {"service_users": ["ledger"]})
	count(rule.alert) == 1 with input as rec with data.teams.payments.parameters as params
}

test_no_alert_from_deploy_role if {
	count(rule.alert) == 0 with input as test.patched(create_key, {"userIdentity": deploy_role})
}

test_no_alert_for_other_users if {
	count(rule.alert) == 0 with input as test.patched(create_key, {"requestParameters": {"userName": "bob"}, "responseElements": null})
}

test_no_alert_when_key_deactivated if {
	rec := test.patched(reactivate_key, {"requestParameters": {"userName": "payments-card-api", "accessKeyId": "AKIAEXAMPLECARDAPI01", "status": "Inactive"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_when_denied if {
	rec := test.patched(create_key, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateAccessKey on resource: user payments-card-api", "responseElements": null})
	count(rule.alert) == 0 with input as rec
}
