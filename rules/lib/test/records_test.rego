# CloudTrail record builders for Rego tests.
# Callers and whole records in CloudTrail's format, for the tests of the built-in pack, the
# lib and team packs (import data.lib.test). Test-only: the file ends in _test.rego, so the
# loader parses it only when tests run; it is never compiled into the detector and never
# evaluated as a rule. Vary a record with patched(rec, {...}).
package lib.test

# account is the account every builder's caller and recipient belong to.
account := "111122223333"

# _id is an example IAM id of 20 characters, as IAM writes them: the prefix, EXAMPLE, the
# name upper-cased (padded with 0, cut at 8 characters) and a final 1: AKIAEXAMPLEALICE0001.
_id(prefix, name) := sprintf("%sEXAMPLE%s1", [prefix, substring(concat("", [upper(name), "00000000"]), 0, 8)])

# iam_user(name) is an IAMUser caller of account, signing with its long-term key
# (AKIAEXAMPLE<NAME>...).
iam_user(name) := {
	"type": "IAMUser",
	"principalId": _id("AIDA", name),
	"arn": sprintf("arn:aws:iam::%s:user/%s", [account, name]),
	"accountId": account,
	"accessKeyId": _id("AKIA", name),
	"userName": name,
}

# assumed_role(role, session) is an AssumedRole caller: a session of role (issuer arn
# role/<role>) signing with temporary credentials, not MFA-authenticated.
assumed_role(role, session) := {
	"type": "AssumedRole",
	"principalId": sprintf("%s:%s", [_id("AROA", role), session]),
	"arn": sprintf("arn:aws:sts::%s:assumed-role/%s/%s", [account, role, session]),
	"accountId": account,
	"accessKeyId": "ASIAEXAMPLESESSION01",
	"sessionContext": {
		"sessionIssuer": {
			"type": "Role",
			"principalId": _id("AROA", role),
			"arn": sprintf("arn:aws:iam::%s:role/%s", [account, role]),
			"accountId": account,
			"userName": role,
		},
		"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
	},
}

# root is the account's root user signing with a root access key.
root := {
	"type": "Root",
	"principalId": account,
	"arn": sprintf("arn:aws:iam::%s:root", [account]),
	"accountId": account,
	"accessKeyId": "AKIAEXAMPLEROOT00001",
}

# root_console is the root user in a console session with MFA.
root_console := {
	"type": "Root",
	"principalId": account,
	"arn": sprintf("arn:aws:iam::%s:root", [account]),
	"accountId": account,
	"accessKeyId": "ASIAEXAMPLEROOT00001",
	"sessionContext": {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "true"}},
}

# federated_user(name, issuer) is a FederatedUser caller: a GetFederationToken session of
# IAM user issuer.
federated_user(name, issuer) := {
	"type": "FederatedUser",
	"principalId": sprintf("%s:%s", [account, name]),
	"arn": sprintf("arn:aws:sts::%s:federated-user/%s", [account, name]),
	"accountId": account,
	"accessKeyId": "ASIAEXAMPLEFEDERATE1",
	"sessionContext": {
		"sessionIssuer": {
			"type": "IAMUser",
			"principalId": _id("AIDA", issuer),
			"arn": sprintf("arn:aws:iam::%s:user/%s", [account, issuer]),
			"accountId": account,
			"userName": issuer,
		},
		"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
	},
}

# aws_service(service) is an AWS service calling on its own behalf (type AWSService).
aws_service(service) := {"type": "AWSService", "invokedBy": service}

# console_session(identity, mfa) is identity in a console session ("true" or "false" MFA):
# temporary console credentials and the session's attributes.
console_session(identity, mfa) := object.union(identity, {
	"accessKeyId": "ASIAEXAMPLECONSOLE01",
	"sessionContext": object.union(object.get(identity, "sessionContext", {}), {"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": mfa}}),
})

# console(rec, identity) is rec made from a console session by identity: the console's user
# agent and CloudTrail's sessionCredentialFromConsole mark.
console(rec, identity) := patched(rec, {"userIdentity": identity, "userAgent": "AWS Internal", "sessionCredentialFromConsole": "true"})

# call(source, name, identity, params) is a management event record as CloudTrail writes it
# for a successful call made with the AWS CLI from 198.51.100.7 in us-east-1 at
# 2026-03-01T10:30:00Z, with requestParameters params and no responseElements.
call(source, name, identity, params) := {
	"eventVersion": "1.09",
	"userIdentity": identity,
	"eventTime": "2026-03-01T10:30:00Z",
	"eventSource": source,
	"eventName": name,
	"awsRegion": "us-east-1",
	"sourceIPAddress": "198.51.100.7",
	"userAgent": "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11",
	"requestParameters": params,
	"responseElements": null,
	"requestID": "0f3a1c55-7d6e-4f0e-9a55-3c1f1d5e2b10",
	"eventID": "5b1e3c2a-4d6f-4e8a-9b0c-1d2e3f4a5b6c",
	"readOnly": false,
	"eventType": "AwsApiCall",
	"managementEvent": true,
	"recipientAccountId": account,
	"eventCategory": "Management",
}

# iam_call, cloudtrail_call, events_call and lambda_call are call for one service.
iam_call(name, identity, params) := call("iam.amazonaws.com", name, identity, params)

cloudtrail_call(name, identity, params) := call("cloudtrail.amazonaws.com", name, identity, params)

events_call(name, identity, params) := call("events.amazonaws.com", name, identity, params)

lambda_call(name, identity, params) := call("lambda.amazonaws.com", name, identity, params)

# create_access_key(identity, params) is a CreateAccessKey by identity with requestParameters
# params ({"userName": ...}, {} or null) and the new key AKIAEXAMPLENEWKEY001 in the response
# (its userName when params names one).
create_access_key(identity, params) := patched(iam_call("CreateAccessKey", identity, params), {"responseElements": {"accessKey": object.union(
	{"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active", "createDate": "Mar 1, 2026 10:30:00 AM"},
	_user_param(params),
)}})

_user_param(params) := {"userName": n | n := params.userName}

# update_access_key(identity, params) is an UpdateAccessKey by identity
# ({"userName": ..., "accessKeyId": ..., "status": "Active" | "Inactive"}).
update_access_key(identity, params) := iam_call("UpdateAccessKey", identity, params)

# delete_access_key(identity, params) is a DeleteAccessKey by identity
# ({"userName": ..., "accessKeyId": ...}).
delete_access_key(identity, params) := iam_call("DeleteAccessKey", identity, params)

# update_user(identity, params) is an UpdateUser by identity
# ({"userName": ..., "newUserName": ..., "newPath": ...}).
update_user(identity, params) := iam_call("UpdateUser", identity, params)

# failed(rec, code, message) is rec failed with errorCode code: CloudTrail then records the
# error and no response.
failed(rec, code, message) := patched(rec, {"errorCode": code, "errorMessage": message, "responseElements": null})
