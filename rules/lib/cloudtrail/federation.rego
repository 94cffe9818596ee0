# Identity providers and containment.
# Callers whose MFA CloudTrail cannot see (IAM Identity Center and other external identity
# provider sessions), and the caller facts containment guidance needs: which role can be
# revoked in IAM, which Identity Center role cannot, the IAM user that governs a federated
# user, and the account containment must run in. These facts are new beside base_context;
# rules add them to a finding's context with caller_context.
package lib.cloudtrail

default identity_center_session := false

# identity_center_session holds for an IAM Identity Center (SSO) session: an assumed
# AWSReservedSSO_ role (IAM keeps them under aws-reserved/sso.amazonaws.com/), or an
# IdentityCenterUser caller.
identity_center_session := input.facts.cloudtrail.identity_center_session if {
	input.facts.version == 1
} else := _ref_identity_center_session

_ref_identity_center_session if {
	input.userIdentity.type == "AssumedRole"
	startswith(role_name, "AWSReservedSSO_")
}

_ref_identity_center_session if input.userIdentity.type == "IdentityCenterUser"

default idp_session := false

# idp_session holds when an external identity provider authenticated the caller: Identity
# Center, a web identity (sessionContext.webIdFederationData), or SAML and web identity users.
# Such sessions record mfaAuthenticated false whatever MFA the identity provider enforced.
# A role assumed with AssumeRoleWithSAML leaves no mark in later records: tune those roles
# with the org tuning file.
idp_session := input.facts.cloudtrail.idp_session if {
	input.facts.version == 1
} else := _ref_idp_session

_ref_idp_session if identity_center_session

_ref_idp_session if {
	input.userIdentity.type == "AssumedRole"
	provider := input.userIdentity.sessionContext.webIdFederationData.federatedProvider
	is_string(provider)
	provider != ""
}

_ref_idp_session if input.userIdentity.type in {"SAMLUser", "WebIdentityUser"}

default console_mfa_missing := false

# console_mfa_missing holds for a console session that CloudTrail shows without MFA and whose
# MFA CloudTrail could have seen: console_without_mfa, except for idp_session callers (their
# mfaAuthenticated false is not evidence of no MFA). Rules escalate on this, not on
# console_without_mfa.
console_mfa_missing := input.facts.cloudtrail.console_mfa_missing if {
	input.facts.version == 1
} else := _ref_console_mfa_missing

_ref_console_mfa_missing if {
	console_without_mfa
	idp_session == false
}

# mfa_caveat explains, for an identity provider's console session, why mfa_authenticated is
# false and what to check instead.
mfa_caveat := input.facts.cloudtrail.mfa_caveat if {
	input.facts.version == 1
} else := "the session came from an external identity provider (IAM Identity Center, SAML or web identity): CloudTrail records mfaAuthenticated false whatever MFA the provider enforced; check the provider's sign-in log" if {
	console_session
	idp_session
}

# revocable_role_name is the role of an assumed-role caller whose sessions can be revoked in
# IAM (put-role-policy): every role but Identity Center's AWSReservedSSO_ roles, which IAM
# refuses to edit.
revocable_role_name := input.facts.cloudtrail.revocable_role_name if {
	input.facts.version == 1
} else := role_name if {
	input.userIdentity.type == "AssumedRole"
	identity_center_session == false
}

# sso_role_name is the AWSReservedSSO_ role of an Identity Center caller: its sessions are
# revoked in IAM Identity Center, not in IAM.
sso_role_name := input.facts.cloudtrail.sso_role_name if {
	input.facts.version == 1
} else := role_name if {
	input.userIdentity.type == "AssumedRole"
	identity_center_session
}

# federating_user_name is the IAM user that called GetFederationToken for a FederatedUser
# caller (sessionContext.sessionIssuer): that user's policies govern the federated session,
# so containing the user contains the session.
federating_user_name := input.facts.cloudtrail.federating_user_name if {
	input.facts.version == 1
} else := n if {
	input.userIdentity.type == "FederatedUser"
	issuer := input.userIdentity.sessionContext.sessionIssuer
	issuer.type == "IAMUser"
	n := _issuer_user_name(issuer)
}

_issuer_user_name(issuer) := n if {
	a := issuer.arn
	is_string(a) # a hostile record may carry another type: no builtin error
	n := regex.find_all_string_submatch_n(`^arn:[^:]+:iam::[^:]*:user/(?:[^/]*/)*([^/]+)$`, a, 1)[0][1]
} else := n if {
	n := issuer.userName
	present(n)
}

# containment_account is the caller's account when it is not the account the event happened
# in: the caller's user or role lives there, and so must its containment.
containment_account := input.facts.cloudtrail.containment_account if {
	input.facts.version == 1
} else := caller_account if cross_account

# containment_context holds the facts above that are defined, under the context keys the
# rules' remediation templates name: actor_revocable_role_name, actor_sso_role_name,
# actor_federating_user_name, containment_account, mfa_caveat.
containment_context := input.facts.cloudtrail.containment_context if {
	input.facts.version == 1
} else := {k: v |
	some [k, vs] in [
		["actor_revocable_role_name", [x | x := revocable_role_name]],
		["actor_sso_role_name", [x | x := sso_role_name]],
		["actor_federating_user_name", [x | x := federating_user_name]],
		["containment_account", [x | x := containment_account]],
		["mfa_caveat", [x | x := mfa_caveat]],
	]
	some v in vs
}

# caller_context is base_context with containment_context: the starting context of a finding
# whose remediation contains the caller.
caller_context := input.facts.cloudtrail.caller_context if {
	input.facts.version == 1
} else := object.union(base_context, containment_context)

# cloudformation_step_down is the reason a rule lists in step_down_reasons when it lowers a
# finding one step because CloudFormation made the call on a stack's behalf
# (via_cloudformation); undefined otherwise.
cloudformation_step_down := input.facts.cloudtrail.cloudformation_step_down if {
	input.facts.version == 1
} else := "CloudFormation made the call on a stack's behalf (invokedBy cloudformation.amazonaws.com): a stack deployment, not a person at a prompt" if via_cloudformation

# failed_not_denied holds for a call that failed for a reason other than a denial (a quota
# such as LimitExceeded, a conflict, a missing entity): the caller was allowed to make it,
# so it is an attempt that may succeed on a retry.
default failed_not_denied := false

failed_not_denied := input.facts.cloudtrail.failed_not_denied if {
	input.facts.version == 1
} else := _ref_failed_not_denied

_ref_failed_not_denied if {
	input.errorCode # for OPA's rule index
	error_code
	not error_code in denied_error_codes
}
