package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/facts"
	"github.com/trailhound/trailhound/internal/rule"
)

// This file lets the rules of the embedded pack (compiled with its own lib, checked whole at
// build time) read the derived facts straight from input.facts. A lib fact in the hybrid form,
//
//	f := input.facts.<path> if { input.facts.version == 1 } else := <the Rego reference>
//
// is a virtual document OPA evaluates on every read (about ten allocations); the input
// reference it reads is a lookup. A compiler stage after ResolveRefs (rewriteFactRefs)
// replaces, in the pack's rule modules (never the lib's), each reference to such a fact with
// the input.facts reference it reads, for the facts internal/facts computes (facts.Names).
// That is the same value whenever input.facts is there at version 1: facts.Compute writes
// every such fact the Rego reference defines and leaves out every one it leaves undefined,
// which the differential tests hold (internal/facts diff_test.go, FuzzDifferential). Where input.facts is not there (facts.Compute declined the record, or a
// caller evaluated a bare record), Engine.Evaluate runs the rules on a copy of the engine
// compiled without the stage, built on first use, so the Rego reference decides as before.

// hybridFacts maps the path of each lib fact in the hybrid form (data.lib.<pkg>.<name>) to
// the input.facts reference it reads.
func hybridFacts(modules map[string]*ast.Module) map[string]ast.Ref {
	out := map[string]ast.Ref{}
	for _, m := range modules {
		if !rule.IsLib(m) {
			continue
		}
		for _, r := range m.Rules {
			if ref, ok := hybridFact(r); ok && r.Ref().IsGround() {
				out[r.Ref().String()] = ref
			}
		}
	}
	return out
}

// hybridFact returns the input.facts reference r reads when r is a fact in the hybrid form:
// a complete rule without arguments whose value is a ground input.facts.<pkg>.<name>
// reference, whose body is the version test alone, and which has an else (the reference).
func hybridFact(r *ast.Rule) (ast.Ref, bool) {
	if r.Else == nil || r.Default || r.Head.Value == nil || len(r.Head.Args) > 0 || len(r.Body) != 1 {
		return nil, false
	}
	ref, ok := r.Head.Value.Value.(ast.Ref)
	if !ok || len(ref) != 4 || !ref.HasPrefix(inputFactsRef) || !ref.IsGround() {
		return nil, false
	}
	if !versionTest(r.Body[0]) || !goWrites(ref) {
		return nil, false
	}
	return ref, true
}

// goWrites reports whether input.facts.<pkg>.<name> is a fact internal/facts writes
// (facts.Names). A lib fact the Go does not compute yet stays a rule OPA evaluates: read
// directly, it would be undefined where its Rego defines it.
func goWrites(ref ast.Ref) bool {
	pkg, ok1 := ref[2].Value.(ast.String)
	name, ok2 := ref[3].Value.(ast.String)
	return ok1 && ok2 && goFacts()[string(pkg)+"."+string(name)]
}

var goFacts = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for pkg, names := range facts.Names() {
		for _, n := range names {
			out[pkg+"."+n] = true
		}
	}
	return out
})

var (
	inputFactsRef  = ast.MustParseRef("input.facts")
	factsVersionEq = ast.MustParseExpr(fmt.Sprintf("input.facts.version == %d", facts.Version))
)

// versionTest reports whether e is `input.facts.version == facts.Version`.
func versionTest(e *ast.Expr) bool {
	return len(e.With) == 0 && !e.Negated && e.Equal(factsVersionEq)
}

// rewriteFactRefs returns the compiler stage (after ResolveRefs) described at the top of the
// file; it records in rewritten the modules it changed. A rule that uses `with` is left as it
// is: a replaced input.facts would not see what `with` replaces in the record.
func rewriteFactRefs(rewritten map[string]bool) ast.CompilerStage {
	return func(c *ast.Compiler) *ast.Error {
		facts := hybridFacts(c.Modules)
		if len(facts) == 0 {
			return nil
		}
		for name, m := range c.Modules {
			if rule.IsLib(m) {
				continue
			}
			for _, r := range m.Rules {
				if usesWith(r) {
					continue
				}
				if _, err := ast.TransformRefs(r, func(ref ast.Ref) (ast.Value, error) {
					v := factRef(facts, ref)
					if _, same := v.(ast.Ref); !same || len(v.(ast.Ref)) != len(ref) || !v.(ast.Ref).Equal(ref) {
						rewritten[name] = true
					}
					return v, nil
				}); err != nil {
					return ast.NewError(ast.CompileErr, r.Loc(), "rewrite fact references: %v", err)
				}
			}
		}
		return nil
	}
}

// factRef returns ref with its longest prefix that names a hybrid fact replaced by the
// input.facts reference the fact reads; ref itself when none does.
func factRef(facts map[string]ast.Ref, ref ast.Ref) ast.Value {
	if len(ref) < 4 || !ref[0].Equal(ast.DefaultRootDocument) {
		return ref
	}
	for i := len(ref); i >= 4; i-- {
		if to, ok := facts[ref[:i].String()]; ok {
			return to.Concat(ref[i:])
		}
	}
	return ref
}

func usesWith(r *ast.Rule) bool {
	found := false
	ast.WalkExprs(r, func(e *ast.Expr) bool {
		found = found || len(e.With) > 0
		return found
	})
	return found
}

// readsFactsDirectly reports whether p compiled with lib gets the stage: only a pack the
// build checked whole with its own lib (prechecked: the embedded pack, whose lib is the one
// the differential tests hold to internal/facts). Team packs, and a bundle's pack, are
// compiled as written: their lib's Rego is not the one the Go facts were tested against.
func readsFactsDirectly(p *rule.Pack, lib map[string]*ast.Module) bool {
	return len(lib) > 0 && prechecked(p, lib)
}

// actorExpr returns what a compile reading the facts directly evaluates for the caller: the
// input.facts reference of the lib's actor when it is a hybrid fact Go writes, else
// ActorQuery.
func actorExpr(lib map[string]*ast.Module) string {
	if ref, ok := hybridFacts(lib)[ActorQuery]; ok {
		return ref.String()
	}
	return ActorQuery
}

// hasFacts reports whether input carries input.facts at facts.Version, as Input sets it.
func hasFacts(input ast.Value) bool {
	obj, ok := input.(ast.Object)
	if !ok {
		return false
	}
	f := obj.Get(facts.KeyTerm)
	if f == nil {
		return false
	}
	fo, ok := f.Value.(ast.Object)
	if !ok {
		return false
	}
	v := fo.Get(versionKey)
	return v != nil && v.Value.Compare(ast.InternedTerm(facts.Version).Value) == 0
}

var versionKey = ast.StringTerm("version")

// referenceEngine is the engine's copy compiled without rewriteFactRefs, built on first use.
type referenceEngine struct {
	once  sync.Once
	build func() (*Engine, []error)
	e     *Engine
	err   error
}

func (r *referenceEngine) get() (*Engine, error) {
	r.once.Do(func() {
		e, errs := r.build()
		if e == nil || len(errs) > 0 {
			r.err = fmt.Errorf("compile the rules as written, for a record without input.facts: %v", errs)
		}
		r.e = e
	})
	return r.e, r.err
}

// evaluateReference evaluates sel on input with the reference engine, as Evaluate would:
// the rules of a record without input.facts, whose compiled form reads the facts directly.
func (e *Engine) evaluateReference(ctx context.Context, sel Selection, input ast.Value) ([]Finding, []error) {
	rules := sel.Rules()
	ref, err := e.reference.get()
	keep := make(map[*rule.Rule]bool, len(rules))
	var same []*Compiled
	var errs []error
	for _, c := range rules {
		rc := ref.compiledRule(c.Rule)
		if rc == nil {
			if err == nil {
				err = errors.New("the rule is not in the engine compiled as written")
			}
			errs = append(errs, &RuleError{Rule: c.Rule, Err: err})
			continue
		}
		keep[c.Rule] = true
		same = append(same, rc)
	}
	if len(same) == 0 {
		return nil, errs
	}
	rsel := ref.OneByOne(same)
	if src, name, ok := e.selectionKey(sel.s); ok {
		if whole := ref.Select(src, name); whole.Len() == len(whole.list) {
			rsel = whole.Without(func(r *rule.Rule) bool { return !keep[r] })
		}
	}
	findings, refErrs := ref.Evaluate(ctx, rsel, input)
	return findings, append(errs, refErrs...)
}

// selectionKey returns the event source and name e keeps s under.
func (e *Engine) selectionKey(s *selection) (source, name string, ok bool) {
	if s == nil {
		return "", "", false
	}
	for src, byName := range e.bySource {
		for n, x := range byName {
			if x == s {
				return src, n, true
			}
		}
	}
	return "", "", false
}

// compiledRule returns r as e compiled it, or nil.
func (e *Engine) compiledRule(r *rule.Rule) *Compiled {
	if e == nil {
		return nil
	}
	for _, c := range e.rules {
		if c.Rule == r {
			return c
		}
	}
	return nil
}
