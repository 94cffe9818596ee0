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

import data.lib.arn

# present(x) holds for a usable string value: non-empty and not masked by CloudTrail.
# The per-event identity fields below spell the test out inline: a call of a user function
# costs OPA far more than the three comparisons.
present(x) if {
	is_string(x)
	x != ""
	x != "HIDDEN_DUE_TO_SECURITY_REASONS"
}

# identity_type is userIdentity.type: Root, IAMUser, AssumedRole, FederatedUser, AWSService,
# AWSAccount, IdentityCenterUser, Unknown, ...
identity_type := t if {
	t := input.userIdentity.type
	is_string(t)
	t != ""
	t != "HIDDEN_DUE_TO_SECURITY_REASONS"
}

default is_root := false

is_root if identity_type == "Root"

is_root if {
	_caller.service == "iam"
	_caller.resource == "root"
}

default is_iam_user := false

is_iam_user if identity_type == "IAMUser"

default is_assumed_role := false

is_assumed_role if identity_type == "AssumedRole"

default is_federated_user := false

is_federated_user if identity_type == "FederatedUser"

default is_aws_service := false

is_aws_service if identity_type == "AWSService"

# caller_arn is userIdentity.arn: the IAM user or root ARN, or the STS session ARN
# (assumed-role/..., federated-user/...).
caller_arn := a if {
	a := input.userIdentity.arn
	is_string(a)
	a != ""
	a != "HIDDEN_DUE_TO_SECURITY_REASONS"
}

# _caller is caller_arn parsed once per event and _caller_segments its resource split on "/";
# the helpers below read them instead of calling the ARN functions once each.
_caller := arn.parse(caller_arn)

_caller_segments := split(_caller.resource, "/")

# _caller_last is the final "/"-separated segment of the caller's ARN resource (the name).
_caller_last := s if {
	n := count(_caller_segments)
	n > 1
	s := _caller_segments[n - 1]
	s != ""
}

# caller_account is the account the caller's credentials belong to.
caller_account := a if {
	a := input.userIdentity.accountId
	present(a)
}

# recipient_account is the account the call was made in (falls back to the caller's).
recipient_account := a if {
	a := input.recipientAccountId
	present(a)
} else := caller_account

default cross_account := false

# cross_account holds when the caller's credentials belong to another account than the one
# the call was made in.
cross_account if {
	b := input.recipientAccountId
	present(b)
	caller_account != b
}

# session_issuer_arn is the IAM principal that issued the session: the role ARN for
# AssumedRole, the IAM user ARN for FederatedUser (GetFederationToken).
session_issuer_arn := a if {
	a := input.userIdentity.sessionContext.sessionIssuer.arn
	present(a)
}

# caller_user_name is the IAM user name of an IAMUser caller: the final path segment of its
# ARN, else userIdentity.userName. Undefined for every other identity type.
caller_user_name := _caller_last if {
	is_iam_user
	_caller.service == "iam"
	_caller_segments[0] == "user"
} else := n if {
	is_iam_user
	n := input.userIdentity.userName
	present(n)
}

# role_name is the name of the role an AssumedRole caller assumed: from the session issuer's
# ARN, else the issuer's userName, else the assumed-role ARN.
role_name := n if {
	is_assumed_role
	n := arn.last_segment(session_issuer_arn)
} else := n if {
	is_assumed_role
	n := input.userIdentity.sessionContext.sessionIssuer.userName
	present(n)
} else := n if {
	is_assumed_role
	n := arn.assumed_role_parts(caller_arn).role
}

# role_session_name is the session name of an AssumedRole caller (often the human's name or
# e-mail for SSO and console role switching).
role_session_name := s if {
	is_assumed_role
	s := arn.assumed_role_parts(caller_arn).session
	s != ""
}

# federated_user_name is the name given to GetFederationToken (arn:...:federated-user/<name>).
federated_user_name := _caller_last if {
	is_federated_user
	_caller_segments[0] == "federated-user"
}

# invoked_by is the AWS service that made the call on the caller's behalf, if any.
invoked_by := s if {
	s := input.userIdentity.invokedBy
	present(s)
}

default via_cloudformation := false

# via_cloudformation holds when CloudFormation made the call on the caller's behalf (a stack
# create, update or delete run by the caller).
via_cloudformation if invoked_by == "cloudformation.amazonaws.com"

via_cloudformation if input.sourceIPAddress == "cloudformation.amazonaws.com"

# actor_name is the short name of the caller: the IAM user name, the role name for an
# assumed role, "root", the federated user name, or the calling service.
actor_name := caller_user_name if {
	caller_user_name
} else := role_name if {
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
display_name := sprintf("%s/%s", [role_name, role_session_name]) if {
	role_session_name
} else := actor_name if {
	actor_name
} else := "an unknown caller"

# access_key_id is the key that signed the request: AKIA... for long-term keys, ASIA... for
# temporary (STS or console session) credentials.
access_key_id := k if {
	k := input.userIdentity.accessKeyId
	present(k)
}

# long_term_key_id is access_key_id when it is an IAM user or root long-term key (AKIA...),
# the kind update-access-key and delete-access-key accept.
long_term_key_id := access_key_id if startswith(access_key_id, "AKIA")

# actor is the caller as the Go alert builder reads it into Alert.actor. Keys: type, arn,
# name, account, access_key_id, session_issuer (ARN), mfa_authenticated (boolean, always
# present), invoked_by. A key whose value the record does not carry is left out.
actor := {k: v | some [k, v] in _actor_pairs}

_actor_pairs contains ["type", identity_type]

_actor_pairs contains ["arn", caller_arn]

_actor_pairs contains ["name", actor_name]

_actor_pairs contains ["account", caller_account]

_actor_pairs contains ["access_key_id", access_key_id]

_actor_pairs contains ["session_issuer", session_issuer_arn]

_actor_pairs contains ["mfa_authenticated", mfa_authenticated]

_actor_pairs contains ["invoked_by", invoked_by]
