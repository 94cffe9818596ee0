package facts

import "github.com/open-policy-agent/opa/v1/ast"

// This file writes the derived facts as the value of input.facts: an object holding version
// and one object per lib package (cloudtrail, iam) whose keys are the lib facts' names. A fact
// the record leaves undefined is left out. facts.schema.json describes the value.

// Record keys read.
var (
	kUserIdentity                 = ast.StringTerm("userIdentity")
	kType                         = ast.StringTerm("type")
	kARN                          = ast.StringTerm("arn")
	kAccountID                    = ast.StringTerm("accountId")
	kRecipientAccountID           = ast.StringTerm("recipientAccountId")
	kSessionContext               = ast.StringTerm("sessionContext")
	kSessionIssuer                = ast.StringTerm("sessionIssuer")
	kAttributes                   = ast.StringTerm("attributes")
	kMFAAuthenticated             = ast.StringTerm("mfaAuthenticated")
	kInvokedBy                    = ast.StringTerm("invokedBy")
	kAccessKeyID                  = ast.StringTerm("accessKeyId")
	kUserName                     = ast.StringTerm("userName")
	kPrincipalID                  = ast.StringTerm("principalId")
	kSourceIPAddress              = ast.StringTerm("sourceIPAddress")
	kEventTime                    = ast.StringTerm("eventTime")
	kEventName                    = ast.StringTerm("eventName")
	kErrorCode                    = ast.StringTerm("errorCode")
	kErrorMessage                 = ast.StringTerm("errorMessage")
	kSessionCredentialFromConsole = ast.StringTerm("sessionCredentialFromConsole")
	kUserAgent                    = ast.StringTerm("userAgent")
	kRequestParameters            = ast.StringTerm("requestParameters")
	kResponseElements             = ast.StringTerm("responseElements")
	kAccessKey                    = ast.StringTerm("accessKey")
	kNewUserName                  = ast.StringTerm("newUserName")
	kNewPath                      = ast.StringTerm("newPath")
	kStatus                       = ast.StringTerm("status")
	kWebIDFederationData          = ast.StringTerm("webIdFederationData")
	kFederatedProvider            = ast.StringTerm("federatedProvider")
)

// KeyTerm is Key as a term, for setting input.facts.
var KeyTerm = ast.StringTerm(Key)

var versionTerm = ast.InternedTerm(Version)

// names of the facts, interned: every record's facts reuse the same key terms.
var keys = map[string]*ast.Term{}

func key(name string) *ast.Term {
	t, ok := keys[name]
	if !ok {
		panic("facts: key " + name + " not declared")
	}
	return t
}

func init() {
	for _, n := range []string{
		"version", "cloudtrail", "iam",
		// lib.cloudtrail
		"identity_type", "is_root", "is_iam_user", "is_assumed_role", "is_federated_user", "is_aws_service",
		"caller_arn", "caller_account", "recipient_account", "cross_account", "session_issuer_arn",
		"caller_user_name", "role_name", "role_session_name", "federated_user_name", "invoked_by",
		"via_cloudformation", "actor_name", "display_name", "access_key_id", "long_term_key_id", "actor",
		"error_code", "error_message", "success", "failed", "denied", "mfa_authenticated",
		"console_session", "console_without_mfa", "source", "summary_phrase", "event_time_ns",
		"base_context", "window_start", "window_end",
		"identity_center_session", "idp_session", "console_mfa_missing", "mfa_caveat",
		"revocable_role_name", "sso_role_name", "federating_user_name", "containment_account",
		"containment_context", "caller_context", "cloudformation_step_down", "failed_not_denied",
		// actor, base_context and containment_context keys
		"type", "arn", "name", "account", "session_issuer", "actor_user_name", "actor_role_name",
		"actor_long_term_key_id", "actor_revocable_role_name", "actor_sso_role_name",
		"actor_federating_user_name",
		// lib.iam
		"requested_user_name", "target_omitted", "error_resource", "error_target_user_name",
		"error_target_user_arn", "target_user_name", "acted_on_self", "acted_on_root_self",
		"root_created_own_access_key", "acted_on_other_user", "new_user_name", "new_path",
		"key_status", "target", "target_phrase", "key_phrase", "key_masked", "masked_key_user_name",
		// target keys
		"user_name", "status",
	} {
		keys[n] = ast.InternedTerm(n)
	}
}

// builder collects an object's members; optional members whose value is nil are left out.
type builder struct{ pairs [][2]*ast.Term }

func (b *builder) str(name string, t str) {
	if t != nil {
		b.pairs = append(b.pairs, [2]*ast.Term{key(name), t})
	}
}

func (b *builder) bool(name string, v bool) {
	b.pairs = append(b.pairs, [2]*ast.Term{key(name), ast.InternedTerm(v)})
}

func (b *builder) term(name string, t *ast.Term) {
	b.pairs = append(b.pairs, [2]*ast.Term{key(name), t})
}

// builder returns a builder for up to n members, backed by c.pairs.
func (c *calc) builder(n int) builder {
	if c.free == nil {
		c.free = c.pairs[:]
	}
	if len(c.free) < n {
		return builder{pairs: make([][2]*ast.Term, 0, n)}
	}
	b := builder{pairs: c.free[:0:n]}
	c.free = c.free[n:]
	return b
}

func (c *calc) value() ast.Value {
	actor := c.builder(8)
	actor.str("type", c.identityType)
	actor.str("arn", c.callerARN)
	actor.str("name", c.actorName)
	actor.str("account", c.callerAccount)
	actor.str("access_key_id", c.accessKeyID)
	actor.str("session_issuer", c.sessionIssuerARN)
	actor.bool("mfa_authenticated", c.mfa)
	actor.str("invoked_by", c.invokedBy)

	var win [2]*ast.Term
	if c.hasTime {
		win = [2]*ast.Term{c.str(c.windowStart), c.str(c.windowEnd)}
	}
	bc := c.builder(8)
	bc.bool("console_session", c.console)
	bc.bool("mfa_authenticated", c.mfa)
	bc.bool("cross_account", c.crossAccount)
	bc.str("actor_user_name", c.callerUserName)
	bc.str("actor_role_name", c.roleName)
	bc.str("actor_long_term_key_id", c.longTermKeyID)
	bc.str("window_start", win[0])
	bc.str("window_end", win[1])

	// containment_context, and caller_context: base_context's members and its.
	cc := c.builder(5)
	cc.str("actor_revocable_role_name", c.revocableRoleName)
	cc.str("actor_sso_role_name", c.ssoRoleName)
	cc.str("actor_federating_user_name", c.federatingUserName)
	cc.str("containment_account", c.containmentAccount)
	cc.str("mfa_caveat", c.mfaCaveat)
	baseContext := c.object(bc.pairs)
	containment, callerContext := ast.InternedEmptyObject, baseContext // the usual case
	if len(cc.pairs) > 0 {
		caller := c.builder(len(bc.pairs) + len(cc.pairs))
		caller.pairs = append(append(caller.pairs, bc.pairs...), cc.pairs...)
		containment, callerContext = c.object(cc.pairs), c.object(caller.pairs)
	}

	ct := c.builder(46)
	ct.str("identity_type", c.identityType)
	ct.bool("is_root", c.isRoot)
	ct.bool("is_iam_user", c.isIAMUser)
	ct.bool("is_assumed_role", c.isAssumedRole)
	ct.bool("is_federated_user", c.isFederatedUser)
	ct.bool("is_aws_service", c.isAWSService)
	ct.str("caller_arn", c.callerARN)
	ct.str("caller_account", c.callerAccount)
	ct.str("recipient_account", c.recipientAccount)
	ct.bool("cross_account", c.crossAccount)
	ct.str("session_issuer_arn", c.sessionIssuerARN)
	ct.str("caller_user_name", c.callerUserName)
	ct.str("role_name", c.roleName)
	ct.str("role_session_name", c.roleSessionName)
	ct.str("federated_user_name", c.federatedUserName)
	ct.str("invoked_by", c.invokedBy)
	ct.bool("via_cloudformation", c.viaCloudFormation)
	ct.str("actor_name", c.actorName)
	ct.str("display_name", c.displayName)
	ct.str("access_key_id", c.accessKeyID)
	ct.str("long_term_key_id", c.longTermKeyID)
	ct.term("actor", c.object(actor.pairs))
	ct.str("error_code", c.errorCode)
	ct.str("error_message", c.errorMessage)
	ct.bool("success", c.success)
	ct.bool("failed", !c.success)
	ct.bool("denied", c.denied)
	ct.bool("mfa_authenticated", c.mfa)
	ct.bool("console_session", c.console)
	ct.bool("console_without_mfa", c.console && !c.mfa)
	ct.str("source", c.source)
	ct.str("summary_phrase", c.summaryPhrase)
	if c.hasTime {
		ct.term("event_time_ns", c.number(c.eventTimeNS))
	}
	ct.term("base_context", baseContext)
	ct.bool("identity_center_session", c.identityCenterSession)
	ct.bool("idp_session", c.idpSession)
	ct.bool("console_mfa_missing", c.consoleMFAMissing)
	ct.str("mfa_caveat", c.mfaCaveat)
	ct.str("revocable_role_name", c.revocableRoleName)
	ct.str("sso_role_name", c.ssoRoleName)
	ct.str("federating_user_name", c.federatingUserName)
	ct.str("containment_account", c.containmentAccount)
	ct.term("containment_context", containment)
	ct.term("caller_context", callerContext)
	ct.str("cloudformation_step_down", c.cloudFormationStepDown)
	ct.bool("failed_not_denied", c.failedNotDenied)

	tg := c.builder(5)
	tg.str("user_name", c.targetUserName)
	tg.str("access_key_id", c.iamAccessKeyID)
	tg.str("status", c.keyStatus)
	tg.str("new_user_name", c.newUserName)
	tg.str("new_path", c.newPath)

	iam := c.builder(19)
	iam.str("requested_user_name", c.requestedUserName)
	iam.bool("target_omitted", c.targetOmitted)
	iam.str("error_resource", c.errorResourceT)
	iam.str("error_target_user_name", c.errorTargetUserName)
	iam.str("error_target_user_arn", c.errorTargetUserARN)
	iam.str("target_user_name", c.targetUserName)
	iam.bool("acted_on_self", c.actedOnSelf)
	iam.bool("acted_on_root_self", c.actedOnRootSelf)
	iam.bool("root_created_own_access_key", c.rootCreatedOwnKey)
	iam.bool("acted_on_other_user", c.actedOnOtherUser)
	iam.str("access_key_id", c.iamAccessKeyID)
	iam.str("new_user_name", c.newUserName)
	iam.str("new_path", c.newPath)
	iam.str("key_status", c.keyStatus)
	iam.term("target", c.object(tg.pairs))
	iam.str("target_phrase", c.targetPhrase)
	iam.str("key_phrase", c.keyPhrase)
	iam.bool("key_masked", c.keyMasked)
	iam.str("masked_key_user_name", c.maskedKeyUserName)

	return ast.NewObject(
		[2]*ast.Term{key("version"), versionTerm},
		[2]*ast.Term{key("cloudtrail"), c.object(ct.pairs)},
		[2]*ast.Term{key("iam"), c.object(iam.pairs)},
	)
}

// names are the facts of each lib package Compute may write, in the contract's order.
var names = map[string][]string{
	"cloudtrail": {
		"identity_type", "is_root", "is_iam_user", "is_assumed_role", "is_federated_user", "is_aws_service",
		"caller_arn", "caller_account", "recipient_account", "cross_account", "session_issuer_arn",
		"caller_user_name", "role_name", "role_session_name", "federated_user_name", "invoked_by",
		"via_cloudformation", "actor_name", "display_name", "access_key_id", "long_term_key_id", "actor",
		"error_code", "error_message", "success", "failed", "denied", "mfa_authenticated",
		"console_session", "console_without_mfa", "source", "summary_phrase", "event_time_ns",
		"base_context", "identity_center_session", "idp_session", "console_mfa_missing", "mfa_caveat",
		"revocable_role_name", "sso_role_name", "federating_user_name", "containment_account",
		"containment_context", "caller_context", "cloudformation_step_down", "failed_not_denied",
	},
	"iam": {
		"requested_user_name", "target_omitted", "error_resource", "error_target_user_name",
		"error_target_user_arn", "target_user_name", "acted_on_self", "acted_on_root_self",
		"root_created_own_access_key", "acted_on_other_user", "access_key_id", "new_user_name",
		"new_path", "key_status", "target", "target_phrase", "key_phrase", "key_masked",
		"masked_key_user_name",
	},
}

// Names returns, per lib package, the names of the facts input.facts may hold (a copy).
func Names() map[string][]string {
	out := make(map[string][]string, len(names))
	for k, v := range names {
		out[k] = append([]string(nil), v...)
	}
	return out
}
