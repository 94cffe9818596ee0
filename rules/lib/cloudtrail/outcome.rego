# CloudTrail call outcome.
# Whether the call recorded in `input` succeeded, failed, or was denied.
package lib.cloudtrail

# error_code is the record's errorCode, when the call failed.
error_code := input.facts.cloudtrail.error_code if {
	input.facts.version == 1
} else := c if {
	c := input.errorCode
	present(c)
}

# error_message is the record's errorMessage, when present.
error_message := input.facts.cloudtrail.error_message if {
	input.facts.version == 1
} else := m if {
	m := input.errorMessage
	present(m)
}

default success := false

# success holds when the call did not fail (no errorCode).
success := input.facts.cloudtrail.success if {
	input.facts.version == 1
} else if not error_code

default failed := false

failed := input.facts.cloudtrail.failed if {
	input.facts.version == 1
} else if error_code

# denied_error_codes are the errorCode values AWS services use for authorization failures.
denied_error_codes := {
	"AccessDenied",
	"AccessDeniedException",
	"UnauthorizedOperation",
	"Client.UnauthorizedOperation",
	"AuthorizationError",
}

default denied := false

# denied holds when the call was refused for lack of permission (policy, SCP, permissions
# boundary or session policy).
denied := input.facts.cloudtrail.denied if {
	input.facts.version == 1
} else if error_code in denied_error_codes
