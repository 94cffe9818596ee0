package facts

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The names below are read from ARNs as rules/lib/cloudtrail/identity.rego's anchored
// patterns read them, without a regular expression (which allocates for its groups):
//
//	arn:<partition>:<service>:<region>:<account>:<resource>
//
// partition and service non-empty and without ':', region and account without ':', the
// resource anything (':' included). arn_test.go checks each against the lib's pattern.

// arnParts splits s into its service and resource, when it has the shape above.
func arnParts(s string) (service, resource string, ok bool) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return "", "", false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || partition == "" {
		return "", "", false
	}
	service, rest, ok = strings.Cut(rest, ":")
	if !ok || service == "" {
		return "", "", false
	}
	if _, rest, ok = strings.Cut(rest, ":"); !ok { // region
		return "", "", false
	}
	if _, rest, ok = strings.Cut(rest, ":"); !ok { // account
		return "", "", false
	}
	return service, rest, true
}

// finalSegment is the part of a resource after its last '/', "" when there is no '/'.
func finalSegment(resource string) string {
	i := strings.LastIndexByte(resource, '/')
	if i < 0 {
		return ""
	}
	return resource[i+1:]
}

// iamUserName is the final segment of arn:<p>:iam:<r>:<a>:user/[path/]<name>, else "".
func iamUserName(t str) string {
	if t == nil {
		return ""
	}
	svc, res, ok := arnParts(s(t))
	if !ok || svc != "iam" || !strings.HasPrefix(res, "user/") {
		return ""
	}
	return finalSegment(res)
}

// issuerName is the final segment of any ARN whose resource holds a '/', else "".
func issuerName(t str) string {
	if t == nil {
		return ""
	}
	if _, res, ok := arnParts(s(t)); ok {
		return finalSegment(res)
	}
	return ""
}

// issuerUserName is the final segment of arn:<p>:iam::<a>:user/[path/]<name> (the region
// empty), else "": the IAM user of a federated user's session issuer. t may be any term.
func issuerUserName(t *ast.Term) string {
	if t == nil {
		return ""
	}
	a, ok := t.Value.(ast.String)
	if !ok {
		return ""
	}
	rest, ok := strings.CutPrefix(string(a), "arn:")
	if !ok {
		return ""
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || partition == "" {
		return ""
	}
	if rest, ok = strings.CutPrefix(rest, "iam::"); !ok {
		return ""
	}
	if _, rest, ok = strings.Cut(rest, ":"); !ok { // account
		return ""
	}
	if !strings.HasPrefix(rest, "user/") {
		return ""
	}
	return finalSegment(rest)
}

// federatedName is the final segment of arn:<p>:<s>:<r>:<a>:federated-user/[path/]<name>.
func federatedName(t str) string {
	if t == nil {
		return ""
	}
	_, res, ok := arnParts(s(t))
	if !ok || !strings.HasPrefix(res, "federated-user/") {
		return ""
	}
	return finalSegment(res)
}

// assumedRole splits arn:<p>:sts:<r>:<a>:assumed-role/<role>[/<session>] (the session may
// hold '/' and is "" when absent); ok false for any other string.
func assumedRole(t str) (role, session string, ok bool) {
	if t == nil {
		return "", "", false
	}
	svc, res, ok := arnParts(s(t))
	if !ok || svc != "sts" {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(res, "assumed-role/")
	if !ok {
		return "", "", false
	}
	role, session, _ = strings.Cut(rest, "/")
	if role == "" {
		return "", "", false
	}
	return role, session, true
}
