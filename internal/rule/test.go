package rule

import (
	"errors"
	"fmt"
	"maps"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Tests parses the pack's *_test.rego files, keyed by file name.
func (p *Pack) Tests() (map[string]*ast.Module, error) {
	out := make(map[string]*ast.Module, len(p.testSources))
	var errs []error
	for name, src := range p.testSources {
		mod, err := ParseModule(name, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[name] = mod
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("rule pack %s: %w", p.Name, errors.Join(errs...))
	}
	return out, nil
}

// TestHelpers parses the pack's shared Rego test helpers (package lib.test, in _test.rego
// files under rules/lib/test), keyed by file name: what a team pack's tests may import
// beside the lib. The built-in pack holds them; a pack without them returns an empty map.
func (p *Pack) TestHelpers() (map[string]*ast.Module, error) {
	tests, err := p.Tests()
	if err != nil {
		return nil, err
	}
	maps.DeleteFunc(tests, func(_ string, m *ast.Module) bool { return !IsTestLib(m) })
	return tests, nil
}

// AllModules returns the pack's modules and parsed tests in one map, for regotest.Run.
func (p *Pack) AllModules() (map[string]*ast.Module, error) {
	tests, err := p.Tests()
	if err != nil {
		return nil, err
	}
	all := maps.Clone(p.Modules)
	maps.Copy(all, tests)
	return all, nil
}
