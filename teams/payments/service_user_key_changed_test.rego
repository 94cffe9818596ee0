package teams.payments.service_user_key_changed_test

import data.teams.payments.service_user_key_changed as rule

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

alice := {
	"type": "IAMUser",
	"principalId": "AIDAEXAMPLEALICE0001",
	"arn": "arn:aws:iam::111122223333:user/alice",
	"accountId": "111122223333",
	"accessKeyId": "AKIAEXAMPLEALICE0001",
	"userName": "alice",
}

deploy_role := {
	"type": "AssumedRole",
	"principalId": "AROAEXAMPLEDEPLOY001:pipeline",
	"arn": "arn:aws:sts::111122223333:assumed-role/payments-deploy/pipeline",
	"accountId": "111122223333",
	"accessKeyId": "ASIAEXAMPLEDEPLOY001",
	"sessionContext": {"sessionIssuer": {
		"type": "Role",
		"principalId": "AROAEXAMPLEDEPLOY001",
		"arn": "arn:aws:iam::111122223333:role/payments-deploy",
		"accountId": "111122223333",
		"userName": "payments-deploy",
	}},
}

create_key := {
	"eventVersion": "1.09",
	"userIdentity": alice,
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": "iam.amazonaws.com",
	"eventName": "CreateAccessKey",
	"awsRegion": "us-east-1",
	"sourceIPAddress": "198.51.100.7",
	"userAgent": "aws-cli/2.17.20",
	"requestParameters": {"userName": "payments-card-api"},
	"responseElements": {"accessKey": {
		"userName": "payments-card-api",
		"accessKeyId": "AKIAEXAMPLECARDAPI01",
		"status": "Active",
		"createDate": "Mar 1, 2026 10:30:00 AM",
	}},
	"requestID": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
	"eventID": "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d",
	"readOnly": false,
	"eventType": "AwsApiCall",
	"managementEvent": true,
	"recipientAccountId": "111122223333",
	"eventCategory": "Management",
}

reactivate_key := patched(create_key, {
	"eventName": "UpdateAccessKey",
	"requestParameters": {"userName": "payments-settlement-batch", "accessKeyId": "AKIAEXAMPLESETTLE001", "status": "Active"},
	"responseElements": null,
})

test_alert_key_created_for_service_user if {
	some f in rule.alert with input as create_key
	f.msg == "alice (IAMUser) from 198.51.100.7 created access key AKIAEXAMPLECARDAPI01 of payments service user payments-card-api outside the deploy pipeline."
	f.target.user_name == "payments-card-api"
	f.target.access_key_id == "AKIAEXAMPLECARDAPI01"
}

test_alert_key_reactivated_for_service_user if {
	some f in rule.alert with input as reactivate_key
	f.target == {"user_name": "payments-settlement-batch", "access_key_id": "AKIAEXAMPLESETTLE001", "status": "Active"}
	contains(f.msg, "reactivated access key AKIAEXAMPLESETTLE001")
}

# The parameters come from team.yaml; a test replaces the whole parameters object (it is a
# generated rule, which `with` cannot replace in part).
test_alert_uses_the_team_parameters if {
	rec := patched(create_key, {"requestParameters": {"userName": "ledger"}, "responseElements": null})
	count(rule.alert) == 0 with input as rec
	params := object.union(data.teams.payments.parameters, {"service_users": ["ledger"]})
	count(rule.alert) == 1 with input as rec with data.teams.payments.parameters as params
}

test_no_alert_from_deploy_role if {
	count(rule.alert) == 0 with input as patched(create_key, {"userIdentity": deploy_role})
}

test_no_alert_for_other_users if {
	count(rule.alert) == 0 with input as patched(create_key, {"requestParameters": {"userName": "bob"}, "responseElements": null})
}

test_no_alert_when_key_deactivated if {
	rec := patched(reactivate_key, {"requestParameters": {"userName": "payments-card-api", "accessKeyId": "AKIAEXAMPLECARDAPI01", "status": "Inactive"}})
	count(rule.alert) == 0 with input as rec
}

test_no_alert_when_denied if {
	rec := patched(create_key, {"errorCode": "AccessDenied", "errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateAccessKey on resource: user payments-card-api", "responseElements": null})
	count(rule.alert) == 0 with input as rec
}
