package lib.cloudtrail_test

import data.lib.cloudtrail as ct
import data.lib.test

# An IAM Identity Center session in the console (CloudTrail records mfaAuthenticated false).
sso_console := test.console(
	test.iam_call("DeleteAccessKey", {}, {"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001"}),
	test.patched(test.assumed_role("AWSReservedSSO_AdministratorAccess_0123456789abcdef", "alice@example.com"), {
		"principalId": "AROAEXAMPLESSO000001:alice@example.com",
		"accessKeyId": "ASIAEXAMPLESSO000001",
		"sessionContext": {
			"sessionIssuer": {
				"type": "Role",
				"principalId": "AROAEXAMPLESSO000001",
				"arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
				"accountId": "111122223333",
				"userName": "AWSReservedSSO_AdministratorAccess_0123456789abcdef",
			},
			"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
		},
	}),
)

# A plain IAM role assumed in the console without MFA: the near miss of sso_console.
role_console := object.union(sso_console, {"userIdentity": {
	"arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
	"sessionContext": {"sessionIssuer": {
		"arn": "arn:aws:iam::111122223333:role/Admin",
		"userName": "Admin",
	}},
}})

web_identity := object.union(role_console, {"userIdentity": {"sessionContext": {"webIdFederationData": {
	"federatedProvider": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
	"attributes": {},
}}}})

federated_session := {
	"userIdentity": {
		"type": "FederatedUser",
		"principalId": "111122223333:carol",
		"arn": "arn:aws:sts::111122223333:federated-user/carol",
		"accountId": "111122223333",
		"accessKeyId": "ASIAEXAMPLEFED000001",
		"sessionContext": {
			"sessionIssuer": {
				"type": "IAMUser",
				"principalId": "AIDAEXAMPLEBROKER001",
				"arn": "arn:aws:iam::111122223333:user/ops/broker",
				"accountId": "111122223333",
				"userName": "broker",
			},
			"attributes": {"creationDate": "2026-03-01T10:00:00Z", "mfaAuthenticated": "false"},
		},
	},
	"eventSource": "iam.amazonaws.com",
	"eventName": "CreateAccessKey",
	"recipientAccountId": "111122223333",
}

test_identity_center_session if {
	ct.identity_center_session with input as sso_console
	ct.idp_session with input as sso_console
	not ct.identity_center_session with input as role_console
	not ct.idp_session with input as role_console
	ct.identity_center_session with input as {"userIdentity": {"type": "IdentityCenterUser"}}
}

test_web_identity_and_saml_are_idp_sessions if {
	ct.idp_session with input as web_identity
	not ct.identity_center_session with input as web_identity
	ct.idp_session with input as {"userIdentity": {"type": "SAMLUser"}}
	not ct.idp_session with input as object.union(role_console, {"userIdentity": {"sessionContext": {"webIdFederationData": {}}}})
}

test_console_mfa_missing_ignores_idp_sessions if {
	ct.console_without_mfa with input as sso_console
	not ct.console_mfa_missing with input as sso_console
	ct.mfa_caveat with input as sso_console
	ct.console_mfa_missing with input as role_console
	not ct.mfa_caveat with input as role_console
	not ct.console_mfa_missing with input as object.union(role_console, {"userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": "true"}}}})
}

test_revocable_and_sso_roles if {
	ct.revocable_role_name == "Admin" with input as role_console
	not ct.sso_role_name with input as role_console
	ct.sso_role_name == "AWSReservedSSO_AdministratorAccess_0123456789abcdef" with input as sso_console
	not ct.revocable_role_name with input as sso_console
	not ct.revocable_role_name with input as federated_session
}

test_federating_user if {
	ct.federating_user_name == "broker" with input as federated_session
	ct.federating_user_name == "broker" with input as json.patch(federated_session, [{"op": "remove", "path": "/userIdentity/sessionContext/sessionIssuer/arn"}])
	ct.federating_user_name == "broker" with input as json.patch(federated_session, [{"op": "replace", "path": "/userIdentity/sessionContext/sessionIssuer/arn", "value": 1}])
	not ct.federating_user_name with input as role_console
	not ct.federating_user_name with input as json.patch(federated_session, [{"op": "replace", "path": "/userIdentity/sessionContext/sessionIssuer/type", "value": "Role"}])
}

test_containment_account if {
	ct.containment_account == "444455556666" with input as object.union(role_console, {"userIdentity": {"accountId": "444455556666"}})
	not ct.containment_account with input as role_console
}

test_caller_context if {
	c := ct.caller_context with input as federated_session
	c.actor_federating_user_name == "broker"
	not c.actor_revocable_role_name
	c.cross_account == false
	s := ct.caller_context with input as sso_console
	s.actor_sso_role_name == "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
	startswith(s.mfa_caveat, "the session came from an external identity provider")
}
