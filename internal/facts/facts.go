// Package facts computes the derived facts of a CloudTrail record in Go, once per selected
// record, into the value the detector sets as input.facts (the contract is rules/README.md,
// "input.facts", and rules/facts.schema.json).
//
// The Rego in rules/lib is the reference: every fact here is the value the lib fact of the
// same name (data.lib.<package>.<name>) computes from the raw record, and each lib fact reads
// input.facts.<package>.<name> when input.facts.version is Version, falling back to its Rego
// otherwise. A fact the record leaves undefined is absent, and the lib then evaluates its Rego,
// which is undefined too. The differential tests (facts_test.go, diff_test.go) keep the two
// equal over the shared corpus, the synthetic trail and a mutation fuzz target.
//
// Compute declines a record (ok false) where the Rego would raise a builtin error, so that a
// record the Go facts cannot reproduce is evaluated by the reference alone.
package facts

import (
	"regexp"
	"sync"
	"strconv"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Version is input.facts.version; the lib reads input.facts only at this version.
const Version = 1

// Key is the input key the facts are set under.
const Key = "facts"

// masked is how CloudTrail masks values it will not log.
const masked = "HIDDEN_DUE_TO_SECURITY_REASONS"

// Anchored patterns, the same as rules/lib's (identity.rego, summary.rego, target.rego).
var (
	rootARN       = regexp.MustCompile(`^arn:[^:]+:iam:[^:]*:[^:]*:root$`)
	rfc3339       = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)
	errorResource = regexp.MustCompile(`on resource: (user [\w+=,.@-]+|arn:[^\s]+)`)
)

// day is the triage window on each side of the event (lib.cloudtrail.triage_window_hours).
const day = 24 * time.Hour

var deniedCodes = map[string]bool{
	"AccessDenied":                 true,
	"AccessDeniedException":        true,
	"UnauthorizedOperation":        true,
	"Client.UnauthorizedOperation": true,
	"AuthorizationError":           true,
}

var consoleAgents = map[string]bool{"console.amazonaws.com": true, "signin.amazonaws.com": true, "AWS Internal": true}

// Compute returns the facts of record (the parsed CloudTrail record, as the rules see it) as
// the value of input.facts, and false when it declines the record (see the package doc).
func Compute(record ast.Value) (ast.Value, bool) {
	rec, ok := record.(ast.Object)
	if !ok {
		return nil, false
	}
	c := calcs.Get().(*calc)
	defer c.release()
	c.rec = rec
	c.slab = new([24]ast.Term) // the derived terms, which the facts keep
	if !c.derive() {
		return nil, false
	}
	return c.value(), true
}

// calcs holds calc values between records: a calc is a few kilobytes of scratch (the
// objects' members before ast.NewObject copies them), of which only the slab outlives
// Compute.
var calcs = sync.Pool{New: func() any { return new(calc) }}

// release zeroes c, so that it holds nothing of the record, and pools it.
func (c *calc) release() {
	*c = calc{}
	calcs.Put(c)
}

// str is a string fact: its term (the record's own when read from it), or nil when undefined.
type str = *ast.Term

// calc holds one record's facts while they are derived.
type calc struct {
	rec ast.Object
	uid ast.Object // userIdentity, when an object
	// Record values read more than once, each looked up once.
	sc                      ast.Value  // userIdentity.sessionContext
	issuer                  ast.Object // its sessionIssuer, when an object
	uidType, uidARN, uidKey *ast.Term  // userIdentity.type, .arn, .accessKeyId
	uidInvokedBy, sourceIP  *ast.Term  // userIdentity.invokedBy, sourceIPAddress

	// lib.cloudtrail
	identityType, callerARN, callerAccount, recipientAccount, sessionIssuerARN  str
	callerUserName, roleName, roleSessionName, federatedUserName, invokedBy     str
	actorName, displayName, accessKeyID, longTermKeyID, errorCode, errorMessage str
	source, summaryPhrase                                                       str
	isRoot, isIAMUser, isAssumedRole, isFederatedUser, isAWSService             bool
	crossAccount, viaCloudFormation, success, denied                            bool
	mfa, console                                                                bool
	// lib.cloudtrail, federation.rego: identity providers and containment
	identityCenterSession, idpSession, consoleMFAMissing, failedNotDenied bool
	mfaCaveat, revocableRoleName, ssoRoleName, federatingUserName         str
	containmentAccount, cloudFormationStepDown                            str
	eventTimeNS                                                           int64
	hasTime                                                               bool
	windowStart, windowEnd                                                string

	// lib.iam
	requestedUserName, errorResourceT, errorTargetUserName, errorTargetUserARN str
	targetUserName, iamAccessKeyID, newUserName, newPath, keyStatus            str
	targetPhrase, keyPhrase                                                    str
	targetOmitted, actedOnSelf, actedOnRootSelf, rootCreatedOwnKey             bool
	actedOnOtherUser                                                           bool
	// lib.iam, masked.rego
	keyMasked         bool
	maskedKeyUserName str

	slab  *[24]ast.Term     // the derived strings' terms
	nslab int               // terms of slab in use
	pairs [104][2]*ast.Term // the objects' members, before ast.NewObject copies them
	free  [][2]*ast.Term    // the part of pairs not yet handed out
}

// str returns a term holding v, from the slab while it lasts.
func (c *calc) str(v string) *ast.Term {
	if c.nslab == len(c.slab) {
		return ast.StringTerm(v)
	}
	t := &c.slab[c.nslab]
	c.nslab++
	t.Value = ast.String(v)
	return t
}

// Constant phrases, one term each for every record.
var (
	rootTerm       = ast.StringTerm("root")
	mfaCaveat      = ast.StringTerm("the session came from an external identity provider (IAM Identity Center, SAML or web identity): CloudTrail records mfaAuthenticated false whatever MFA the provider enforced; check the provider's sign-in log")
	cfnStepDown    = ast.StringTerm("CloudFormation made the call on a stack's behalf (invokedBy cloudformation.amazonaws.com): a stack deployment, not a person at a prompt")
	unknownCaller  = ast.StringTerm("an unknown caller")
	unknownAddress = ast.StringTerm("an unknown address")
	rootItself     = ast.StringTerm("the root user itself")
	unknownTarget  = ast.StringTerm("an unknown IAM user")
	anAccessKey    = ast.StringTerm("an access key")
)

func (c *calc) derive() bool {
	c.uid, _ = get(c.rec, kUserIdentity).(ast.Object)
	if !c.identity() || !c.eventTime() {
		return false
	}
	c.outcome()
	c.session()
	c.names()
	c.phrases()
	c.target()
	c.federation()
	c.masked()
	return true
}

func (c *calc) identity() bool {
	uid := c.uid
	c.uidType, c.uidARN, c.uidKey = termOf(uid, kType), termOf(uid, kARN), termOf(uid, kAccessKeyID)
	c.uidInvokedBy, c.sourceIP = termOf(uid, kInvokedBy), termOf(c.rec, kSourceIPAddress)
	c.sc = get(uid, kSessionContext)
	c.issuer, _ = get(c.sc, kSessionIssuer).(ast.Object)
	typ := value(c.uidType)
	c.identityType = present(c.uidType)
	c.isIAMUser = isStr(typ, "IAMUser")
	c.isAssumedRole = isStr(typ, "AssumedRole")
	c.isFederatedUser = isStr(typ, "FederatedUser")
	c.isAWSService = isStr(typ, "AWSService")
	c.isRoot = isStr(typ, "Root")
	if a, ok := value(c.uidARN).(ast.String); ok && !c.isRoot && strings.HasSuffix(string(a), ":root") && rootARN.MatchString(string(a)) {
		c.isRoot = true
	}
	c.callerARN = present(c.uidARN)
	c.callerAccount = present(termOf(uid, kAccountID))
	if r := present(termOf(c.rec, kRecipientAccountID)); r != nil {
		c.recipientAccount = r
		c.crossAccount = c.callerAccount != nil && !sameStr(c.callerAccount, r)
	} else {
		c.recipientAccount = c.callerAccount
	}
	c.sessionIssuerARN = present(termOf(c.issuer, kARN))
	c.invokedBy = present(c.uidInvokedBy)
	c.accessKeyID = present(c.uidKey)
	if k, ok := value(c.uidKey).(ast.String); ok && strings.HasPrefix(string(k), "AKIA") {
		c.longTermKeyID = c.uidKey
	}
	c.viaCloudFormation = isStrTerm(c.invokedBy, "cloudformation.amazonaws.com") || isStr(value(c.sourceIP), "cloudformation.amazonaws.com")
	return true
}

// eventTime derives event_time_ns and the triage window; false when the Rego would raise a
// builtin error (an impossible date the pattern lets through, or a time OPA cannot hold in
// nanoseconds, with its window).
func (c *calc) eventTime() bool {
	t, ok := get(c.rec, kEventTime).(ast.String)
	if !ok || !rfc3339.MatchString(string(t)) {
		return true
	}
	tm, err := time.Parse(time.RFC3339, string(t))
	if err != nil {
		return false
	}
	lo, hi := time.Unix(0, minInt64).Add(day), time.Unix(0, maxInt64).Add(-day)
	if tm.Before(lo) || tm.After(hi) {
		return false
	}
	c.eventTimeNS, c.hasTime = tm.UnixNano(), true
	const layout = "2006-01-02T15:04:05Z07:00"
	var buf [64]byte // both in one string
	b := time.Unix(0, c.eventTimeNS-int64(day)).UTC().AppendFormat(buf[:0], layout)
	mid := len(b)
	b = time.Unix(0, c.eventTimeNS+int64(day)).UTC().AppendFormat(b, layout)
	both := string(b)
	c.windowStart, c.windowEnd = both[:mid], both[mid:]
	return true
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)

func (c *calc) outcome() {
	c.errorCode = present(termOf(c.rec, kErrorCode))
	c.errorMessage = present(termOf(c.rec, kErrorMessage))
	c.success = c.errorCode == nil
	c.denied = c.errorCode != nil && deniedCodes[string(c.errorCode.Value.(ast.String))]
}

func (c *calc) session() {
	sc := c.sc
	attrs, _ := get(sc, kAttributes).(ast.Object)
	m := get(attrs, kMFAAuthenticated)
	c.mfa = isStr(m, "true") || isBool(m, true)
	fc := get(c.rec, kSessionCredentialFromConsole)
	c.console = isStr(fc, "true") || isBool(fc, true)
	if _, ok := sc.(ast.Object); ok && !c.console {
		ua, _ := get(c.rec, kUserAgent).(ast.String)
		c.console = isStr(value(c.uidInvokedBy), "signin.amazonaws.com") ||
			consoleAgents[string(ua)] || strings.HasPrefix(string(ua), "aws-internal/")
	}
}

// names derives caller_user_name, role_name, role_session_name, federated_user_name,
// actor_name and display_name.
func (c *calc) names() {
	if c.isIAMUser {
		if n := iamUserName(c.callerARN); n != "" {
			c.callerUserName = c.str(n)
		} else {
			c.callerUserName = present(termOf(c.uid, kUserName))
		}
	}
	role, session, assumed := assumedRole(c.callerARN)
	if c.isAssumedRole {
		issuer := c.issuer
		if n := issuerName(c.sessionIssuerARN); n != "" {
			c.roleName = c.str(n)
		} else if n := present(termOf(issuer, kUserName)); n != nil {
			c.roleName = n
		} else if assumed {
			c.roleName = c.str(role)
		}
		if assumed && session != "" {
			c.roleSessionName = c.str(session)
		}
	}
	if c.isFederatedUser {
		if n := federatedName(c.callerARN); n != "" {
			c.federatedUserName = c.str(n)
		}
	}
	switch {
	case c.isIAMUser && c.callerUserName != nil:
		c.actorName = c.callerUserName
	case c.isAssumedRole && c.roleName != nil:
		c.actorName = c.roleName
	case c.isRoot:
		c.actorName = rootTerm
	case c.federatedUserName != nil:
		c.actorName = c.federatedUserName
	case c.isAWSService && c.invokedBy != nil:
		c.actorName = c.invokedBy
	default:
		if n := present(termOf(c.uid, kUserName)); n != nil {
			c.actorName = n
		} else {
			c.actorName = present(termOf(c.uid, kPrincipalID))
		}
	}
	switch {
	case c.isAssumedRole && c.roleSessionName != nil && c.roleName != nil:
		c.displayName = c.str(s(c.roleName) + "/" + s(c.roleSessionName))
	case c.actorName != nil:
		c.displayName = c.actorName
	default:
		c.displayName = unknownCaller
	}
}

func (c *calc) phrases() {
	if c.source = present(c.sourceIP); c.source == nil {
		c.source = unknownAddress
	}
	typ := "unknown identity type"
	if c.identityType != nil {
		typ = s(c.identityType)
	}
	if c.crossAccount {
		c.summaryPhrase = c.str(s(c.displayName) + " (" + typ + ", account " + s(c.callerAccount) + ") from " + s(c.source))
	} else {
		c.summaryPhrase = c.str(s(c.displayName) + " (" + typ + ") from " + s(c.source))
	}
}

// target derives lib.iam's facts: which IAM user the call acted on.
func (c *calc) target() {
	rp := get(c.rec, kRequestParameters)
	rpo, _ := rp.(ast.Object)
	c.requestedUserName = present(termOf(rpo, kUserName))
	failed := c.errorCode != nil
	switch {
	case c.requestedUserName != nil:
	case c.success:
		c.targetOmitted = true
	default:
		_, isObj := rp.(ast.Object)
		c.targetOmitted = isObj
	}
	// error_resource is read from any errorMessage; the user it names is the target only of
	// a failed call.
	if m := submatch(errorResource, c.errorMessage, 1); m != "" {
		c.errorResourceT = c.str(m)
		if failed {
			if n, ok := userNameFromResource(m); ok {
				c.errorTargetUserName = c.str(n)
			}
			if isIAMUserARN(m) {
				c.errorTargetUserARN = c.errorResourceT
			}
		}
	}
	switch {
	case c.requestedUserName != nil:
		c.targetUserName = c.requestedUserName
	case c.errorTargetUserName != nil:
		c.targetUserName = c.errorTargetUserName
	case c.targetOmitted && c.callerUserName != nil:
		c.targetUserName = c.callerUserName
	}
	c.actedOnSelf = c.targetOmitted ||
		(c.isIAMUser && !c.crossAccount && c.targetUserName != nil && c.callerUserName != nil && sameStr(c.targetUserName, c.callerUserName)) ||
		(c.errorTargetUserARN != nil && c.callerARN != nil && sameStr(c.errorTargetUserARN, c.callerARN))
	c.actedOnRootSelf = c.isRoot && c.actedOnSelf
	c.rootCreatedOwnKey = isStr(get(c.rec, kEventName), "CreateAccessKey") && c.success && c.isRoot && c.actedOnSelf
	c.actedOnOtherUser = !c.actedOnSelf && c.targetUserName != nil
	if c.iamAccessKeyID = present(termOf(rpo, kAccessKeyID)); c.iamAccessKeyID == nil {
		re, _ := get(c.rec, kResponseElements).(ast.Object)
		key, _ := get(re, kAccessKey).(ast.Object)
		c.iamAccessKeyID = present(termOf(key, kAccessKeyID))
	}
	c.newUserName = present(termOf(rpo, kNewUserName))
	c.newPath = present(termOf(rpo, kNewPath))
	c.keyStatus = present(termOf(rpo, kStatus))
	switch {
	case c.actedOnOtherUser:
		c.targetPhrase = c.str("IAM user " + s(c.targetUserName))
	case c.isRoot && c.actedOnSelf:
		c.targetPhrase = rootItself
	case c.actedOnSelf && c.targetUserName != nil:
		c.targetPhrase = c.str("their own IAM user " + s(c.targetUserName))
	default:
		c.targetPhrase = unknownTarget
	}
	if c.iamAccessKeyID != nil {
		c.keyPhrase = c.str("access key " + s(c.iamAccessKeyID))
	} else {
		c.keyPhrase = anAccessKey
	}
}

// federation derives rules/lib/cloudtrail/federation.rego's facts: identity provider
// sessions, their MFA caveat, and what containment of the caller needs.
func (c *calc) federation() {
	typ := value(c.uidType)
	c.identityCenterSession = (c.isAssumedRole && c.roleName != nil && strings.HasPrefix(s(c.roleName), "AWSReservedSSO_")) ||
		isStr(typ, "IdentityCenterUser")
	c.idpSession = c.identityCenterSession || isStr(typ, "SAMLUser") || isStr(typ, "WebIdentityUser")
	if !c.idpSession && c.isAssumedRole {
		web := get(c.sc, kWebIDFederationData)
		p, ok := get(web, kFederatedProvider).(ast.String)
		c.idpSession = ok && p != ""
	}
	c.consoleMFAMissing = c.console && !c.mfa && !c.idpSession
	if c.console && c.idpSession {
		c.mfaCaveat = mfaCaveat
	}
	if c.isAssumedRole {
		if c.identityCenterSession {
			c.ssoRoleName = c.roleName
		} else {
			c.revocableRoleName = c.roleName
		}
	}
	if c.isFederatedUser && c.issuer != nil && isStr(get(c.issuer, kType), "IAMUser") {
		if n := issuerUserName(termOf(c.issuer, kARN)); n != "" {
			c.federatingUserName = c.str(n)
		} else {
			c.federatingUserName = present(termOf(c.issuer, kUserName))
		}
	}
	if c.crossAccount {
		c.containmentAccount = c.callerAccount
	}
	if c.viaCloudFormation {
		c.cloudFormationStepDown = cfnStepDown
	}
	c.failedNotDenied = c.errorCode != nil && !c.denied
}

// masked derives rules/lib/iam/masked.rego's facts: an access key id the record names only
// as masked.
func (c *calc) masked() {
	if c.iamAccessKeyID != nil {
		return
	}
	rp := get(c.rec, kRequestParameters)
	re, _ := get(c.rec, kResponseElements).(ast.Object)
	key := get(re, kAccessKey)
	c.keyMasked = isStr(get(rp, kAccessKeyID), masked) || isStr(get(key, kAccessKeyID), masked)
	if c.keyMasked {
		c.maskedKeyUserName = c.targetUserName
	}
}

// userNameFromResource is lib.iam.user_name_from_resource: "user bob", or an IAM user ARN.
func userNameFromResource(r string) (string, bool) {
	if n, ok := strings.CutPrefix(r, "user "); ok {
		if n != "" {
			return n, true
		}
	}
	if isIAMUserARN(r) {
		return lastSegment(r)
	}
	return "", false
}

// arnResource is lib.arn.parse(s).resource, and whether s parses as an ARN there.
func arnResource(s string) (service, resource string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return "", "", false
	}
	parts := strings.Split(s, ":")
	if len(parts) < 6 || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[2], strings.Join(parts[5:], ":"), true
}

// lastSegment is lib.arn.last_segment.
func lastSegment(s string) (string, bool) {
	_, res, ok := arnResource(s)
	if !ok {
		return "", false
	}
	segs := strings.Split(res, "/")
	if len(segs) < 2 || segs[len(segs)-1] == "" {
		return "", false
	}
	return segs[len(segs)-1], true
}

// isIAMUserARN is lib.arn.is_iam_user.
func isIAMUserARN(s string) bool {
	svc, res, ok := arnResource(s)
	if !ok || svc != "iam" {
		return false
	}
	if first, _, _ := strings.Cut(res, "/"); first != "user" {
		return false
	}
	_, ok = lastSegment(s)
	return ok
}

// submatch is group n of re's first match in the string fact t, or "" (no match, or t
// undefined). The lib's groups that are read this way never match "".
func submatch(re *regexp.Regexp, t str, n int) string {
	if t == nil {
		return ""
	}
	m := re.FindStringSubmatch(string(t.Value.(ast.String)))
	if m == nil {
		return ""
	}
	return m[n]
}

// present is lib.cloudtrail.present: t when it is a non-empty string not masked.
func present(t *ast.Term) str {
	if t == nil {
		return nil
	}
	v, ok := t.Value.(ast.String)
	if !ok || v == "" || v == masked {
		return nil
	}
	return t
}

func s(t str) string { return string(t.Value.(ast.String)) }

func sameStr(a, b str) bool { return a.Value.(ast.String) == b.Value.(ast.String) }

func isStr(v ast.Value, want string) bool {
	x, ok := v.(ast.String)
	return ok && string(x) == want
}

func isStrTerm(t *ast.Term, want string) bool { return t != nil && isStr(t.Value, want) }

func isBool(v ast.Value, want bool) bool {
	x, ok := v.(ast.Boolean)
	return ok && bool(x) == want
}

// termOf returns obj[key], nil when obj is not an object or lacks key.
func termOf(obj ast.Value, key *ast.Term) *ast.Term {
	o, ok := obj.(ast.Object)
	if !ok || o == nil {
		return nil
	}
	return o.Get(key)
}

// value is t's value, nil when t is nil.
func value(t *ast.Term) ast.Value {
	if t == nil {
		return nil
	}
	return t.Value
}

// get returns obj[key]'s value, nil when undefined.
func get(obj ast.Value, key *ast.Term) ast.Value {
	if t := termOf(obj, key); t != nil {
		return t.Value
	}
	return nil
}

// number returns a term holding n, from the slab while it lasts.
func (c *calc) number(n int64) *ast.Term {
	v := ast.Number(strconv.FormatInt(n, 10))
	if c.nslab == len(c.slab) {
		return ast.NewTerm(v)
	}
	t := &c.slab[c.nslab]
	c.nslab++
	t.Value = v
	return t
}

// object returns a term holding the object of pairs, from the slab while it lasts.
func (c *calc) object(pairs [][2]*ast.Term) *ast.Term {
	v := ast.NewObject(pairs...)
	if c.nslab == len(c.slab) {
		return ast.NewTerm(v)
	}
	t := &c.slab[c.nslab]
	c.nslab++
	t.Value = v
	return t
}
