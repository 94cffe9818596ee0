package lib.iam_test

import data.lib.iam

masked_create := {
	"userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333", "userName": "alice"},
	"eventSource": "iam.amazonaws.com",
	"eventName": "CreateAccessKey",
	"requestParameters": {"userName": "bob"},
	"responseElements": {"accessKey": {"userName": "bob", "accessKeyId": "HIDDEN_DUE_TO_SECURITY_REASONS", "status": "Active"}},
	"recipientAccountId": "111122223333",
}

test_masked_key_falls_back_to_the_user if {
	iam.key_masked with input as masked_create
	iam.masked_key_user_name == "bob" with input as masked_create
	not iam.access_key_id with input as masked_create
}

test_masked_request_key if {
	rec := json.patch(masked_create, [
		{"op": "replace", "path": "/eventName", "value": "UpdateAccessKey"},
		{"op": "replace", "path": "/requestParameters", "value": {"userName": "bob", "accessKeyId": "HIDDEN_DUE_TO_SECURITY_REASONS", "status": "Inactive"}},
		{"op": "remove", "path": "/responseElements"},
	])
	iam.masked_key_user_name == "bob" with input as rec
}

test_unmasked_key_is_not_masked if {
	rec := json.patch(masked_create, [{"op": "replace", "path": "/responseElements/accessKey/accessKeyId", "value": "AKIAEXAMPLENEWKEY001"}])
	not iam.key_masked with input as rec
	not iam.masked_key_user_name with input as rec
	not iam.key_masked with input as object.remove(masked_create, ["responseElements"])
}
