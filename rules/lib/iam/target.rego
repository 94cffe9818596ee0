# METADATA
# title: IAM call targets
# description: |
#   Which IAM user an IAM user-management call (CreateAccessKey, UpdateAccessKey,
#   DeleteAccessKey, UpdateUser, ...) acted on, and whether that was the caller itself.
#
#   Resolution order for target_user_name:
#     1. requestParameters.userName;
#     2. for failed calls, the user named in errorMessage ("... on resource: user bob ..." or
#        "... on resource: arn:aws:iam::111122223333:user/path/bob ...");
#     3. the caller's own IAM user name when the request named no user: IAM then acts on the
#        calling user (root creating its own key records requestParameters: null).
#   Identities are compared exactly (names and ARNs), never by substring or case folding:
#   "jackson" acting on "jack" acts on another user.
package lib.iam

import data.lib.arn
import data.lib.cloudtrail as ct

# requested_user_name is requestParameters.userName, when the request named a user.
requested_user_name := input.facts.iam.requested_user_name if {
	input.facts.version == 1
} else := n if {
	n := input.requestParameters.userName
	ct.present(n)
}

default target_omitted := false

target_omitted := input.facts.iam.target_omitted if {
	input.facts.version == 1
} else := _ref_target_omitted

# target_omitted holds when the request did not name a user, so IAM acted on the caller. For a
# failed call whose requestParameters CloudTrail left out entirely, the request is unknown and
# this does not hold.
_ref_target_omitted if {
	not requested_user_name
	ct.success
}

_ref_target_omitted if {
	input.errorCode
	not requested_user_name
	ct.error_code # the call failed
	is_object(input.requestParameters)
}

# error_resource is the resource named in an authorization error message, e.g. "user bob" or
# "arn:aws:iam::111122223333:user/ops/bob".
error_resource := input.facts.iam.error_resource if {
	input.facts.version == 1
} else := r if {
	m := regex.find_all_string_submatch_n(`on resource: (user [\w+=,.@-]+|arn:[^\s]+)`, ct.error_message, 1)
	r := m[0][1]
}

# user_name_from_resource(r) is the IAM user name in an error message's resource: "user bob",
# or an IAM user ARN (path ignored).
user_name_from_resource(r) := n if {
	startswith(r, "user ")
	n := substring(r, 5, -1)
	n != ""
} else := n if {
	arn.is_iam_user(r)
	n := arn.last_segment(r)
}

# error_target_user_name is the user a failed call targeted, parsed from errorMessage.
error_target_user_name := input.facts.iam.error_target_user_name if {
	input.facts.version == 1
} else := n if {
	input.errorCode
	ct.error_code # the call failed
	n := user_name_from_resource(error_resource)
}

# error_target_user_arn is the target's ARN when errorMessage gives it as an ARN.
error_target_user_arn := input.facts.iam.error_target_user_arn if {
	input.facts.version == 1
} else := error_resource if {
	input.errorCode
	ct.error_code # the call failed
	arn.is_iam_user(error_resource)
}

# target_user_name is the IAM user the call acted on (see the resolution order above).
# Undefined when the root user acted on itself or the target cannot be known.
target_user_name := input.facts.iam.target_user_name if {
	input.facts.version == 1
} else := requested_user_name if {
	requested_user_name
} else := error_target_user_name if {
	error_target_user_name
} else := ct.caller_user_name if {
	target_omitted
	ct.caller_user_name
}

default acted_on_self := false

acted_on_self := input.facts.iam.acted_on_self if {
	input.facts.version == 1
} else := _ref_acted_on_self

# acted_on_self holds when the caller acted on its own identity: it named no user (IAM then
# acts on the caller, including the root user), or it is an IAM user of the same account
# naming exactly its own user name, or the error message names exactly its ARN.
_ref_acted_on_self if target_omitted

_ref_acted_on_self if {
	input.userIdentity.type == "IAMUser" # ct.is_iam_user
	ct.cross_account == false
	target_user_name == ct.caller_user_name
}

_ref_acted_on_self if {
	error_target_user_arn == ct.caller_arn
}

default acted_on_root_self := false

# acted_on_root_self holds when the root user acted on itself (e.g. created its own access
# key: requestParameters null).
acted_on_root_self := input.facts.iam.acted_on_root_self if {
	input.facts.version == 1
} else if {
	ct.is_root
	acted_on_self
}

default root_created_own_access_key := false

# root_created_own_access_key holds for a successful CreateAccessKey by the root user for
# itself (requestParameters: null): an access key for the root user now exists. TH-IAM-004
# reports it; TH-IAM-006 leaves it to that rule.
root_created_own_access_key := input.facts.iam.root_created_own_access_key if {
	input.facts.version == 1
} else if {
	input.eventName == "CreateAccessKey"
	ct.success
	ct.is_root # acted_on_root_self, spelled out
	acted_on_self
}

default acted_on_other_user := false

# acted_on_other_user holds when the call targeted an IAM user other than the caller. Root and
# roles have no IAM user of their own, so any user they name is another user.
acted_on_other_user := input.facts.iam.acted_on_other_user if {
	input.facts.version == 1
} else if {
	acted_on_self == false
	target_user_name
}

# access_key_id is the access key the call acted on: requestParameters.accessKeyId, or the key
# a CreateAccessKey call returned.
access_key_id := input.facts.iam.access_key_id if {
	input.facts.version == 1
} else := k if {
	k := input.requestParameters.accessKeyId
	ct.present(k)
} else := k if {
	k := input.responseElements.accessKey.accessKeyId
	ct.present(k)
}

# new_user_name and new_path are UpdateUser's requested rename and move.
new_user_name := input.facts.iam.new_user_name if {
	input.facts.version == 1
} else := n if {
	n := input.requestParameters.newUserName
	ct.present(n)
}

new_path := input.facts.iam.new_path if {
	input.facts.version == 1
} else := p if {
	p := input.requestParameters.newPath
	ct.present(p)
}

# key_status is the status UpdateAccessKey set ("Active" or "Inactive").
key_status := input.facts.iam.key_status if {
	input.facts.version == 1
} else := s if {
	s := input.requestParameters.status
	ct.present(s)
}

# target is the finding's target object for IAM user calls: user_name, access_key_id, status,
# new_user_name, new_path, each only when known.
target := input.facts.iam.target if {
	input.facts.version == 1
} else := {k: v |
	some [k, vs] in [
		["user_name", [x | x := target_user_name]],
		["access_key_id", [x | x := access_key_id]],
		["status", [x | x := key_status]],
		["new_user_name", [x | x := new_user_name]],
		["new_path", [x | x := new_path]],
	]
	some v in vs
}

# target_phrase names the target for a finding's msg: "IAM user bob", "their own IAM user
# alice", "the root user itself", or "an unknown IAM user".
target_phrase := input.facts.iam.target_phrase if {
	input.facts.version == 1
} else := sprintf("IAM user %s", [target_user_name]) if {
	acted_on_other_user
} else := "the root user itself" if {
	ct.is_root # acted_on_root_self, spelled out
	acted_on_self
} else := sprintf("their own IAM user %s", [target_user_name]) if {
	acted_on_self
} else := "an unknown IAM user"

# key_phrase names the access key for a finding's msg.
key_phrase := input.facts.iam.key_phrase if {
	input.facts.version == 1
} else := sprintf("access key %s", [access_key_id]) if {
	access_key_id
} else := "an access key"
