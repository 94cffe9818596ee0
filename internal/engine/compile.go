package engine

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// checkOnlyStages are the stages of OPA's compiler that only check modules and change
// nothing evaluation reads: they report unused or duplicate imports, keyword overrides, void
// and undefined function calls, rule conflicts, recursion, type errors and unsafe or
// deprecated builtins. The rewriting stages (local variables, safety reordering, rule and
// comprehension indices) always run. Type checking of the queries the engine prepares still
// runs, against the builtins' types.
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
}

// newCompiler returns the compiler for pack p with lib. It skips checkOnlyStages for a pack
// the build already compiled with every check (rule.Pack.Checked, the embedded pack) when
// lib is that pack's own lib, so nothing compiled with it went unchecked; team and bundle
// packs, and anything compiled with another lib, get every check.
func newCompiler(p *rule.Pack, lib map[string]*ast.Module, caps *ast.Capabilities) *ast.Compiler {
	c := ast.NewCompiler().WithCapabilities(caps)
	if p.Checked && ownLib(p, lib) {
		c = c.WithSkipStages(checkOnlyStages...)
	}
	return c
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
