package lib.cloudtrail_test

import data.lib.cloudtrail

test_success_without_error_code if {
	cloudtrail.success with input as {"eventName": "DeleteAccessKey"}
	cloudtrail.success with input as {"eventName": "DeleteAccessKey", "errorCode": ""}
	not cloudtrail.failed with input as {"eventName": "DeleteAccessKey"}
	not cloudtrail.denied with input as {"eventName": "DeleteAccessKey"}
}

test_failed_with_error_code if {
	rec := {"errorCode": "LimitExceededException", "errorMessage": "Cannot exceed quota for AccessKeysPerUser: 2"}
	not cloudtrail.success with input as rec
	cloudtrail.failed with input as rec
	not cloudtrail.denied with input as rec
	cloudtrail.error_code == "LimitExceededException" with input as rec
	cloudtrail.error_message == "Cannot exceed quota for AccessKeysPerUser: 2" with input as rec
}

test_denied_codes if {
	every code in ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"] {
		cloudtrail.denied with input as {"errorCode": code}
		cloudtrail.failed with input as {"errorCode": code}
	}
}

test_not_found_is_not_denied if {
	not cloudtrail.denied with input as {"errorCode": "NoSuchEntityException"}
	not cloudtrail.denied with input as {"errorCode": "TrailNotFoundException"}
	not cloudtrail.denied with input as {"errorCode": "accessdenied"}
}
