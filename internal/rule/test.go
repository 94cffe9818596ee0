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
