package engine

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// checkOnlyStages are the stages of OPA's compiler that only check modules and change
// nothing evaluation reads: they report unused or duplicate imports, keyword overrides, void
// and undefined function calls, rule conflicts, recursion, type errors and unsafe or
// deprecated builtins; and the stage that builds the rule dependency graph, which only the
// recursion and type checks read. The rewriting stages (local variables, safety reordering,
// rule and comprehension indices) always run. Type checking of the queries the engine
// prepares still runs, against the builtins' types.
var checkOnlyStages = []ast.StageID{
	ast.StageCheckUnusedImports,
	ast.StageCheckKeywordOverrides,
	ast.StageCheckDuplicateImports,
	ast.StageCheckVoidCalls,
	ast.StageCheckRuleConflicts,
	ast.StageCheckUndefinedFuncs,
	ast.StageCheckRecursion,
	ast.StageCheckTypes,
	ast.StageCheckUnsafeBuiltins,
	ast.StageCheckDeprecatedBuiltins,
	ast.StageBuildRequiredCapabilities,
	ast.StageSetGraph, // a query's type check reads the graph only when it is there
}

// newCompiler returns a compiler for pack p with lib. It skips checkOnlyStages for a
// prechecked pack, and with a rewritten map its rules read the derived facts directly
// (factrefs.go; the map receives the modules changed) and the lib rules that neither they nor
// libQueries (the lib queries prepared or bound on the compiler: libQueryRoots) reach are left
// out (prune.go); team and bundle packs, and anything compiled with another lib, get every
// check and every lib rule.
func newCompiler(p *rule.Pack, lib map[string]*ast.Module, caps *ast.Capabilities, rewritten map[string]bool, libQueries []ast.Ref) *ast.Compiler {
	c := ast.NewCompiler().WithCapabilities(caps)
	if prechecked(p, lib) {
		c = c.WithSkipStages(checkOnlyStages...)
	}
	if rewritten != nil {
		c = c.WithStageAfterID(ast.StageResolveRefs, ast.CompilerStageDefinition{Name: "RewriteFactRefs", MetricName: "compile_stage_rewrite_fact_refs", Stage: rewriteFactRefs(rewritten)}).
			WithStageAfterID(ast.StageResolveRefs, ast.CompilerStageDefinition{Name: "PruneLib", MetricName: "compile_stage_prune_lib", Stage: pruneLib(libQueries, nil)})
	}
	return c
}

// prechecked reports whether p with lib is exactly what the build already compiled whole
// with every check: a rule.Pack.Checked pack (the embedded pack) with its own lib. Such a
// pack may be compiled without the check-only stages, and in parts (partition.go), since
// nothing compiled with it went unchecked.
func prechecked(p *rule.Pack, lib map[string]*ast.Module) bool {
	return p.Checked && ownLib(p, lib)
}

// ownLib reports whether every module of lib is one of p's own modules.
func ownLib(p *rule.Pack, lib map[string]*ast.Module) bool {
	for name, m := range lib {
		if p.Modules[name] != m {
			return false
		}
	}
	return true
}
