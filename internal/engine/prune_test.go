package engine

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/rule/builtin"
)

// TestPruneUnreached compiles a small pack with the pruning stage and checks which lib rules
// stay: those a rule, a helper or a lib query reaches, through calls, else branches, `with`
// targets, imports, local names and references with variables; the others go.
func TestPruneUnreached(t *testing.T) {
	mods := map[string]string{
		"lib/a.rego": `package lib.a

f(x) := y if y := g(x)

g(x) := x

unused := 1

fallback := 1 if {
	input.nope
} else := v if {
	v := from_else
}

from_else := 2

with_target := 3
`,
		"lib/b.rego": `package lib.b

x := 1

y := 2
`,
		"lib/c.rego": `package lib.c

gone := 1

also_gone(x) := x
`,
		"lib/cloudtrail/actor.rego": `package lib.cloudtrail

actor := {"name": data.lib.d.name}

other := 1
`,
		"lib/d.rego": `package lib.d

name := "n"

unrelated := "u"
`,
		"builtin/r.rego": `package builtin.r

import data.lib.a

alert contains a.f(1) if {
	some k
	data.lib.b[k] == 1
	a.fallback == 1 with data.lib.a.with_target as 4
}
`,
	}
	c := ast.NewCompiler()
	var n int
	c = c.WithStageAfterID(ast.StageResolveRefs, ast.CompilerStageDefinition{Name: "PruneLib", MetricName: "prune", Stage: pruneLib([]ast.Ref{actorRef}, &n)})
	parsed := map[string]*ast.Module{}
	for name, src := range mods {
		parsed[name] = ast.MustParseModuleWithOpts(src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	}
	if c.Compile(parsed); c.Failed() {
		t.Fatal(c.Errors)
	}
	got := map[string][]string{}
	for name, m := range c.Modules {
		got[name] = nil
		for _, r := range m.Rules {
			got[name] = append(got[name], r.Head.Name.String())
		}
		slices.Sort(got[name])
		got[name] = slices.Compact(got[name])
	}
	want := map[string][]string{
		"lib/a.rego":                {"f", "fallback", "from_else", "g", "with_target"},
		"lib/b.rego":                {"x", "y"},
		"lib/c.rego":                nil,
		"lib/cloudtrail/actor.rego": {"actor"},
		"lib/d.rego":                {"name"},
		"builtin/r.rego":            {"alert"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("rules kept: %v, want %v", got, want)
	}
	if n != 5 {
		t.Fatalf("%d rules removed, want 5 (unused, gone, also_gone, other, unrelated)", n)
	}
}

// TestPruneKeepsTheLibForAWholeTreeReference: a reference to data.lib with a variable key
// could read any lib rule, so none is removed.
func TestPruneKeepsTheLibForAWholeTreeReference(t *testing.T) {
	c := ast.NewCompiler()
	var n int
	c = c.WithStageAfterID(ast.StageResolveRefs, ast.CompilerStageDefinition{Name: "PruneLib", MetricName: "prune", Stage: pruneLib(nil, &n)})
	if c.Compile(map[string]*ast.Module{
		"lib.rego": ast.MustParseModuleWithOpts("package lib.z\n\na := 1\n\nb := 2\n", ast.ParserOptions{RegoVersion: ast.RegoV1}),
		"r.rego":   ast.MustParseModuleWithOpts("package builtin.r\n\nalert contains x if {\n\tsome p\n\tx := data.lib[p]\n}\n", ast.ParserOptions{RegoVersion: ast.RegoV1}),
	}); c.Failed() {
		t.Fatal(c.Errors)
	}
	if n != 0 || len(c.Modules["lib.rego"].Rules) != 2 {
		t.Fatalf("%d removed, %d kept; want none removed", n, len(c.Modules["lib.rego"].Rules))
	}
}

// TestEmbeddedPackPrunesTheLib: the detector's compile of the embedded pack leaves out lib
// rules (most of the facts' Rego reference), while the reference copy compiled as written,
// and a team pack compiled with the lib, keep every one. That what is left evaluates as the
// whole pack does is TestFactRefsEvaluateAsWritten's and TestCheckedPackEvaluatesAlike's.
func TestEmbeddedPackPrunesTheLib(t *testing.T) {
	p, err := builtin.Load()
	if err != nil {
		t.Fatal(err)
	}
	libRules := 0
	for _, m := range p.Lib() {
		libRules += len(m.Rules)
	}
	count := func(e *Engine) (kept int) {
		for _, c := range e.libCompilers {
			for name, m := range c.Modules {
				if strings.HasPrefix(name, "rules/lib/") {
					kept += len(m.Rules)
				}
			}
		}
		return kept
	}
	for _, cores := range []int{1, 2} {
		e, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib(), Cores: cores})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		kept := count(e)
		if kept == 0 || kept >= libRules*len(e.libCompilers)*3/4 {
			t.Fatalf("%d cores: %d lib rules compiled over %d compilers, of %d in the lib: want about half left out", cores, kept, len(e.libCompilers), libRules)
		}
		ref, err := e.reference.get()
		if err != nil {
			t.Fatal(err)
		}
		if got := count(ref); got < libRules {
			t.Fatalf("%d cores: the reference copy compiled %d lib rules, want all %d", cores, got, libRules)
		}
	}
}
