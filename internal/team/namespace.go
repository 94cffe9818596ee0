package team

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// CheckModule enforces what a team module may be and see: its package is under
// teams.<team>.<name>, it refers to data only under data.lib (the shared helpers) and
// data.teams.<team> (its own rules and parameters; a test file, *_test.rego, also the shared
// test helpers under data.lib.test), and it calls only builtins on the
// allow-list (rule.AllowedBuiltins: pure functions; no network, OPA runtime, wall clock or
// randomness). Each problem names the file and line.
func CheckModule(team, file string, m *ast.Module) []error {
	var errs []error
	at := func(loc *ast.Location) string {
		if loc != nil && loc.Row > 0 {
			return fmt.Sprintf("%s:%d", file, loc.Row)
		}
		return file
	}
	own := ast.Ref{ast.DefaultRootDocument, ast.StringTerm("teams"), ast.StringTerm(team)}
	if p := m.Package.Path; !p.HasPrefix(own) || len(p) <= len(own) {
		errs = append(errs, fmt.Errorf("%s: package %s: team %s's packages are teams.%s.<name>", at(m.Package.Location), p, team, team))
	}
	testFile := strings.HasSuffix(file, "_test.rego")
	checkRef := func(ref ast.Ref, loc *ast.Location) {
		msg := dataRefProblem(ref, team)
		if msg == "" && !testFile && ref.HasPrefix(rule.TestLibRef) {
			msg = "data.lib.test holds the shared test helpers, which only tests (_test.rego files) may use: the detector does not load them"
		}
		if msg != "" {
			errs = append(errs, fmt.Errorf("%s: %s: %s", at(loc), ref, msg))
		}
	}
	for _, imp := range m.Imports {
		if ref, ok := imp.Path.Value.(ast.Ref); ok && ref.HasPrefix(ast.DefaultRootRef) {
			checkRef(ref, imp.Location)
		} else if v, ok := imp.Path.Value.(ast.Var); ok && v.Equal(ast.DefaultRootDocument.Value) {
			checkRef(ast.DefaultRootRef, imp.Location)
		}
	}
	checkCall := func(op ast.Ref, loc *ast.Location) {
		if why := forbiddenReason(op.String()); why != "" {
			errs = append(errs, fmt.Errorf("%s: builtin %s is not available to rules (%s): replay must give the results live processing gave", at(loc), op, why))
		}
	}
	var vis *ast.GenericVisitor
	vis = ast.NewGenericVisitor(func(x any) bool {
		switch t := x.(type) {
		case *ast.Expr:
			if t.IsCall() {
				checkCall(t.Operator(), t.Location)
			}
		case ast.Call:
			if len(t) > 0 {
				if op, ok := t[0].Value.(ast.Ref); ok {
					checkCall(op, t[0].Location)
				}
			}
		case *ast.Term:
			switch v := t.Value.(type) {
			case ast.Ref:
				if v.HasPrefix(ast.DefaultRootRef) {
					checkRef(v, t.Location)
				}
				for _, sub := range v[1:] { // refs inside brackets: data.x[data.y]
					vis.Walk(sub)
				}
				return true
			case ast.Var:
				if v.Equal(ast.DefaultRootDocument.Value) {
					checkRef(ast.DefaultRootRef, t.Location)
				}
			}
		}
		return false
	})
	for _, r := range m.Rules {
		vis.Walk(r)
	}
	return errs
}

// dataRefProblem says why a data reference is not allowed to a team's module, or "".
func dataRefProblem(ref ast.Ref, team string) string {
	const allowed = "team rules may use data.lib.* and data.teams.%s.* only"
	if len(ref) < 2 {
		return fmt.Sprintf("the whole data document is off limits; "+allowed, team)
	}
	first, ok := ref[1].Value.(ast.String)
	switch {
	case !ok:
		return fmt.Sprintf("a computed data path is off limits; "+allowed, team)
	case first == "lib":
		return ""
	case first == "teams":
		if len(ref) >= 3 && ref[2].Value.Compare(ast.String(team)) == 0 {
			return ""
		}
		return fmt.Sprintf("another team's data is off limits; "+allowed, team)
	}
	return fmt.Sprintf("data.%s is off limits; "+allowed, string(first), team)
}

// forbiddenReason says why a builtin of this OPA version is not available to rules, or ""
// when it is (rule.AllowedBuiltins, an allow-list: a builtin added by a later OPA release
// is unavailable until it is reviewed and listed).
func forbiddenReason(name string) string {
	if rule.BuiltinAllowed(name) {
		return ""
	}
	if _, ok := ast.BuiltinMap[name]; !ok {
		return "" // not a builtin: a function of the pack, or undefined (a compile error)
	}
	switch {
	case name == "http.send" || strings.HasPrefix(name, "net."):
		return "network access"
	case name == "opa.runtime":
		return "OPA runtime information"
	case name == "time.now_ns", name == "io.jwt.decode_verify", name == "providers.aws.sign_req",
		strings.HasPrefix(name, "crypto.x509.parse_and_verify"):
		return "wall-clock time"
	case strings.HasPrefix(name, "rand."), name == "uuid.rfc4122":
		return "randomness"
	}
	return "not on the allow-list of builtins in teams/README.md"
}
