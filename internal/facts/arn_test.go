package facts

import (
	"regexp"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The patterns of rules/lib/cloudtrail/identity.rego (and federation.rego's issuer user) the
// ARN readers stand for.
var (
	libIAMUser   = regexp.MustCompile(`^arn:[^:]+:iam:[^:]*:[^:]*:user/(?:[^/]*/)*([^/]+)$`)
	libIssuer    = regexp.MustCompile(`^arn:[^:]+:[^:]+:[^:]*:[^:]*:(?:[^/]*/)+([^/]+)$`)
	libAssumed   = regexp.MustCompile(`(?s)^arn:[^:]+:sts:[^:]*:[^:]*:assumed-role/([^/]+)(?:/(.*))?$`)
	libFederated = regexp.MustCompile(`^arn:[^:]+:[^:]+:[^:]*:[^:]*:federated-user/(?:[^/]*/)*([^/]+)$`)
	libIssuerIAM = regexp.MustCompile(`^arn:[^:]+:iam::[^:]*:user/(?:[^/]*/)*([^/]+)$`)
)

func group(re *regexp.Regexp, s string, n int) string {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[n]
}

func checkARN(t *testing.T, a string) {
	t.Helper()
	term := ast.StringTerm(a)
	if got, want := iamUserName(term), group(libIAMUser, a, 1); got != want {
		t.Errorf("iamUserName(%q) = %q, the lib's pattern %q", a, got, want)
	}
	if got, want := issuerName(term), group(libIssuer, a, 1); got != want {
		t.Errorf("issuerName(%q) = %q, the lib's pattern %q", a, got, want)
	}
	if got, want := federatedName(term), group(libFederated, a, 1); got != want {
		t.Errorf("federatedName(%q) = %q, the lib's pattern %q", a, got, want)
	}
	if got, want := issuerUserName(term), group(libIssuerIAM, a, 1); got != want {
		t.Errorf("issuerUserName(%q) = %q, the lib's pattern %q", a, got, want)
	}
	role, session, ok := assumedRole(term)
	m := libAssumed.FindStringSubmatch(a)
	if ok != (m != nil) || (ok && (role != m[1] || session != m[2])) {
		t.Errorf("assumedRole(%q) = %q, %q, %v; the lib's pattern %q", a, role, session, ok, m)
	}
}

var arnSeeds = []string{
	"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/path/to/alice",
	"arn:aws:iam::111122223333:user/", "arn:aws:iam::111122223333:user/a/", "arn:aws:iam::111122223333:user//a",
	"arn:aws:iam::111122223333:user/a:b", "arn:aws-cn:iam:x:1:user/a", "arn::iam::1:user/a", "arn:aws:iam:1:user/a",
	"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_1",
	"arn:aws:iam::111122223333:root", "arn:aws:sts::111122223333:assumed-role/Admin/alice",
	"arn:aws:sts::111122223333:assumed-role/Admin", "arn:aws:sts::111122223333:assumed-role/Admin/", "arn:aws:sts::1:assumed-role//x",
	"arn:aws:sts::1:assumed-role/A/b/c\nd", "arn:aws:sts::1:federated-user/bob", "arn:aws:sts::1:federated-user/p/bob",
	"arn:aws:sts::1:federated-user/", "arn:aws::1:2:x/y", "arn:aws:s3:::bucket/key", "ARN:aws:iam::1:user/a", "arn:aws:iam::1:user/a\n",
	"", "arn:", "arn:a:b:c:d:", "arn:a:b:c:d:/", "arn:a:b:c:d:e/f/g",
	"arn:aws:iam:us-east-1:1:user/a", "arn:aws:iam:::user/a", "arn:aws:iam::1:user/p:q/a", "arn:aws:iam::1:1:user/a",
}

func TestARNReadersMatchLibPatterns(t *testing.T) {
	for _, a := range arnSeeds {
		checkARN(t, a)
	}
}

func FuzzARNReaders(f *testing.F) {
	for _, a := range arnSeeds {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, a string) { checkARN(t, a) })
}
