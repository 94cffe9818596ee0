# METADATA
# title: CloudTrail caller identity
# description: |
#   Who made the call recorded in `input` (a CloudTrail record): the identity type, the
#   caller's ARN and name resolved per type, and the `actor` object the Go alert builder
#   evaluates (data.lib.cloudtrail.actor) to fill Alert.actor.
#
#   Names come from ARNs whenever an ARN is present: the ARN's final path segment for IAM
#   users (userIdentity.userName is ignored when it disagrees, as in some peer fixtures) and
#   sessionContext.sessionIssuer.arn for assumed roles.
package lib.cloudtrail

# present(x) holds for a usable string value: a string, non-empty and not masked by
# CloudTrail (HIDDEN_DUE_TO_SECURITY_REASONS). Every helper and rule tests a value it reads
# from the record with it.
present(x) if {
	is_string(x)
	x != ""
	x != "HIDDEN_DUE_TO_SECURITY_REASONS"
}

# identity_type is userIdentity.type: Root, IAMUser, AssumedRole, FederatedUser, AWSService,
# AWSAccount, IdentityCenterUser, Unknown, ...
identity_type := input.facts.cloudtrail.identity_type if {
	input.facts.version == 1
} else := t if {
	t := input.userIdentity.type
	present(t)
}

# The identity type tests below compare userIdentity.type itself rather than identity_type:
# the same answer, as the names compared are present strings (rules/lib/README.md, "Cost").

default is_root := false

is_root := input.facts.cloudtrail.is_root if {
	input.facts.version == 1
} else := _ref_is_root

_ref_is_root if input.userIdentity.type == "Root"

# The root user's ARN is arn:<partition>:iam::<account>:root (what arn.is_root(caller_arn)
# tests). It reads userIdentity.arn itself: an empty or masked value cannot match.
_ref_is_root if {
	a := input.userIdentity.arn
	is_string(a)
	endswith(input.userIdentity.arn, ":root")
	regex.match(`^arn:[^:]+:iam:[^:]*:[^:]*:root$`, a)
}

default is_iam_user := false

is_iam_user := input.facts.cloudtrail.is_iam_user if {
	input.facts.version == 1
} else if input.userIdentity.type == "IAMUser"

default is_assumed_role := false

is_assumed_role := input.facts.cloudtrail.is_assumed_role if {
	input.facts.version == 1
} else if input.userIdentity.type == "AssumedRole"

default is_federated_user := false

is_federated_user := input.facts.cloudtrail.is_federated_user if {
	input.facts.version == 1
} else if input.userIdentity.type == "FederatedUser"

default is_aws_service := false

is_aws_service := input.facts.cloudtrail.is_aws_service if {
	input.facts.version == 1
} else if input.userIdentity.type == "AWSService"

# caller_arn is userIdentity.arn: the IAM user or root ARN, or the STS session ARN
# (assumed-role/..., federated-user/...).
caller_arn := input.facts.cloudtrail.caller_arn if {
	input.facts.version == 1
} else := a if {
	a := input.userIdentity.arn
	present(a)
}

# The names below are taken from the ARNs with one anchored regular expression each, which
# yields what parsing the ARN with data.lib.arn and picking its segments would (the tests
# check the edge cases). In the patterns, [^:]+ and [^:]* are the partition,
# service, region and account fields, (?:[^/]*/)* any path, and ([^/]+) the final segment.

# caller_account is the account the caller's credentials belong to.
caller_account := input.facts.cloudtrail.caller_account if {
	input.facts.version == 1
} else := a if {
	a := input.userIdentity.accountId
	present(a)
}

# recipient_account is the account the call was made in (falls back to the caller's).
recipient_account := input.facts.cloudtrail.recipient_account if {
	input.facts.version == 1
} else := a if {
	a := input.recipientAccountId
	present(a)
} else := caller_account

default cross_account := false

# cross_account holds when the caller's credentials belong to another account than the one
# the call was made in.
cross_account := input.facts.cloudtrail.cross_account if {
	input.facts.version == 1
} else if {
	b := input.recipientAccountId
	present(b)
	caller_account != b
}

# session_issuer_arn is the IAM principal that issued the session: the role ARN for
# AssumedRole, the IAM user ARN for FederatedUser (GetFederationToken).
session_issuer_arn := input.facts.cloudtrail.session_issuer_arn if {
	input.facts.version == 1
} else := a if {
	a := input.userIdentity.sessionContext.sessionIssuer.arn
	present(a)
}

# caller_user_name is the IAM user name of an IAMUser caller: the final path segment of its
# ARN, else userIdentity.userName. Undefined for every other identity type.
caller_user_name := input.facts.cloudtrail.caller_user_name if {
	input.facts.version == 1
} else := _iam_user_name if input.userIdentity.type == "IAMUser"

# _iam_user_name: arn:<partition>:iam::<account>:user/[path/]<name> (arn.is_iam_user and
# arn.last_segment), else userIdentity.userName.
_iam_user_name := n if {
	n := regex.find_all_string_submatch_n(`^arn:[^:]+:iam:[^:]*:[^:]*:user/(?:[^/]*/)*([^/]+)$`, caller_arn, 1)[0][1]
} else := n if {
	n := input.userIdentity.userName
	present(n)
}

# role_name is the name of the role an AssumedRole caller assumed: from the session issuer's
# ARN, else the issuer's userName, else the assumed-role ARN.
role_name := input.facts.cloudtrail.role_name if {
	input.facts.version == 1
} else := _role_name if input.userIdentity.type == "AssumedRole"

# _role_name: the final segment of the issuer's ARN, whatever its service and resource type
# (arn.last_segment), else the issuer's userName, else the role in the assumed-role ARN.
_role_name := n if {
	n := regex.find_all_string_submatch_n(`^arn:[^:]+:[^:]+:[^:]*:[^:]*:(?:[^/]*/)+([^/]+)$`, session_issuer_arn, 1)[0][1]
} else := n if {
	n := input.userIdentity.sessionContext.sessionIssuer.userName
	present(n)
} else := _assumed_role[1]

# role_session_name is the session name of an AssumedRole caller (often the human's name or
# e-mail for SSO and console role switching).
role_session_name := input.facts.cloudtrail.role_session_name if {
	input.facts.version == 1
} else := s if {
	input.userIdentity.type == "AssumedRole"
	s := _assumed_role[2]
	s != ""
}

# _assumed_role is [arn, role, session] for an STS assumed-role ARN,
# arn:<partition>:sts::<account>:assumed-role/<role>[/<session>] (arn.assumed_role_parts); the
# session, which may hold "/", is "" when absent. (?s) lets it hold any character.
_assumed_role := regex.find_all_string_submatch_n(`(?s)^arn:[^:]+:sts:[^:]*:[^:]*:assumed-role/([^/]+)(?:/(.*))?$`, caller_arn, 1)[0]

# federated_user_name is the name given to GetFederationToken (arn:...:federated-user/<name>).
federated_user_name := input.facts.cloudtrail.federated_user_name if {
	input.facts.version == 1
} else := n if {
	input.userIdentity.type == "FederatedUser"
	n := regex.find_all_string_submatch_n(`^arn:[^:]+:[^:]+:[^:]*:[^:]*:federated-user/(?:[^/]*/)*([^/]+)$`, caller_arn, 1)[0][1]
}

# invoked_by is the AWS service that made the call on the caller's behalf, if any.
invoked_by := input.facts.cloudtrail.invoked_by if {
	input.facts.version == 1
} else := s if {
	s := input.userIdentity.invokedBy
	present(s)
}

default via_cloudformation := false

# via_cloudformation holds when CloudFormation made the call on the caller's behalf (a stack
# create, update or delete run by the caller).
via_cloudformation := input.facts.cloudtrail.via_cloudformation if {
	input.facts.version == 1
} else := _ref_via_cloudformation

_ref_via_cloudformation if invoked_by == "cloudformation.amazonaws.com"

_ref_via_cloudformation if input.sourceIPAddress == "cloudformation.amazonaws.com"

# actor_name is the short name of the caller: the IAM user name, the role name for an
# assumed role, "root", the federated user name, or the calling service.
actor_name := input.facts.cloudtrail.actor_name if {
	input.facts.version == 1
} else := caller_user_name if {
	input.userIdentity.type == "IAMUser"
	caller_user_name
} else := role_name if {
	input.userIdentity.type == "AssumedRole"
	role_name
} else := "root" if {
	is_root
} else := federated_user_name if {
	federated_user_name
} else := invoked_by if {
	is_aws_service
	invoked_by
} else := n if {
	n := input.userIdentity.userName
	present(n)
} else := n if {
	n := input.userIdentity.principalId
	present(n)
}

# display_name is actor_name with the session name for assumed roles ("Admin/alice").
display_name := input.facts.cloudtrail.display_name if {
	input.facts.version == 1
} else := sprintf("%s/%s", [role_name, role_session_name]) if {
	input.userIdentity.type == "AssumedRole"
	role_session_name
} else := actor_name if {
	actor_name
} else := "an unknown caller"

# access_key_id is the key that signed the request: AKIA... for long-term keys, ASIA... for
# temporary (STS or console session) credentials.
access_key_id := input.facts.cloudtrail.access_key_id if {
	input.facts.version == 1
} else := k if {
	k := input.userIdentity.accessKeyId
	present(k)
}

# long_term_key_id is access_key_id when it is an IAM user or root long-term key (AKIA...),
# the kind update-access-key and delete-access-key accept (an AKIA... string is present, so it
# is access_key_id).
long_term_key_id := input.facts.cloudtrail.long_term_key_id if {
	input.facts.version == 1
} else := k if {
	k := input.userIdentity.accessKeyId
	is_string(k)
	startswith(input.userIdentity.accessKeyId, "AKIA")
}

# actor is the caller as the Go alert builder reads it into Alert.actor. Keys: type, arn,
# name, account, access_key_id, session_issuer (ARN), mfa_authenticated (boolean, always
# present), invoked_by. A key whose value the record does not carry is left out (an object
# with optional keys: rules/lib/README.md).
actor := input.facts.cloudtrail.actor if {
	input.facts.version == 1
} else := {k: v |
	some [k, vs] in [
		["type", [x | x := identity_type]],
		["arn", [x | x := caller_arn]],
		["name", [x | x := actor_name]],
		["account", [x | x := caller_account]],
		["access_key_id", [x | x := access_key_id]],
		["session_issuer", [x | x := session_issuer_arn]],
		["mfa_authenticated", [mfa_authenticated]],
		["invoked_by", [x | x := invoked_by]],
	]
	some v in vs
}
