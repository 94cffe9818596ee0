package rule

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego unit test.
type TestResult struct {
	Package string
	Name    string
	File    string
	Line    int
	Pass    bool
	Skip    bool
	Err     string // evaluation error, if the test errored rather than failed
	Output  string // print() output
}

// RunTests runs the Rego unit tests (test_* rules) of the given modules in-process with OPA's
// tester, compiled with the same restricted capabilities the engine uses. modules holds the
// modules under test and their tests together.
func RunTests(ctx context.Context, modules map[string]*ast.Module) ([]TestResult, error) {
	compiler := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		Run(ctx, maps.Clone(modules))
	if err != nil {
		return nil, fmt.Errorf("run rego tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{Package: r.Package, Name: r.Name, Pass: !r.Fail && r.Error == nil && !r.Skip, Skip: r.Skip, Output: string(r.Output)}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		if r.Error != nil {
			tr.Err = r.Error.Error()
		}
		out = append(out, tr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

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

// AllModules returns the pack's modules and parsed tests in one map, for RunTests.
func (p *Pack) AllModules() (map[string]*ast.Module, error) {
	tests, err := p.Tests()
	if err != nil {
		return nil, err
	}
	all := maps.Clone(p.Modules)
	maps.Copy(all, tests)
	return all, nil
}
