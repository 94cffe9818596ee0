package team

import (
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// CheckModule enforces what a team module may be and see: its package is under
// teams.<team>.<name>, it refers to data only under data.lib (the shared helpers) and
// data.teams.<team> (its own rules and parameters), and it calls no builtin the detector
// denies (network, OPA runtime, wall-clock time, randomness: rule.Capabilities). Each
// problem names the file and line.
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
	checkRef := func(ref ast.Ref, loc *ast.Location) {
		if msg := dataRefProblem(ref, team); msg != "" {
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
	forbidden := forbiddenBuiltins()
	checkCall := func(op ast.Ref, loc *ast.Location) {
		if why, ok := forbidden[op.String()]; ok {
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

var (
	forbiddenOnce sync.Once
	forbiddenSet  map[string]string
)

// forbiddenBuiltins names the builtins of this OPA version that rule.Capabilities leaves
// out, with the reason.
func forbiddenBuiltins() map[string]string {
	forbiddenOnce.Do(func() {
		allowed := map[string]bool{}
		for _, b := range rule.Capabilities().Builtins {
			allowed[b.Name] = true
		}
		forbiddenSet = map[string]string{}
		for _, b := range ast.CapabilitiesForThisVersion().Builtins {
			if allowed[b.Name] {
				continue
			}
			why := "nondeterministic"
			switch {
			case b.Name == "http.send" || len(b.Name) > 4 && b.Name[:4] == "net.":
				why = "network access"
			case b.Name == "opa.runtime":
				why = "OPA runtime information"
			case b.Name == "time.now_ns":
				why = "wall-clock time"
			}
			forbiddenSet[b.Name] = why
		}
	})
	return forbiddenSet
}
