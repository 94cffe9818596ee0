// Package regotest owns running Rego unit tests (test_* rules) in-process with OPA's tester,
// compiled under the engine's restricted capabilities (rule.Capabilities), with print()
// output captured and, when asked, coverage traced. `detector rules test` and the team
// verdict both run their tests here.
//
// It links OPA's tester and cover packages (and through them rego), which the Lambda build
// has no use for: only CLI code may import it.
package regotest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/trailhound/trailhound/internal/rule"
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

// Options configure Run.
type Options struct {
	// Coverage traces which lines the tests evaluate; Run then returns the tracer.
	Coverage bool
	// Timeout bounds each test; zero keeps the tester's default (5s).
	Timeout time.Duration
}

// Run runs the Rego unit tests of modules, which holds the modules under test and their
// tests together (keyed by file name; the map is not modified). Results are sorted by file
// and line. With opts.Coverage the returned *cover.Cover holds what the tests evaluated
// (cov.Report(modules) reports it); without, it is nil. An error means the tests could not
// run (the modules do not compile); a test that errors is a result with Err set.
func Run(ctx context.Context, modules map[string]*ast.Module, opts Options) ([]TestResult, *cover.Cover, error) {
	compiler := ast.NewCompiler().WithCapabilities(rule.Capabilities()).WithEnablePrintStatements(true)
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetModules(maps.Clone(modules))
	if opts.Timeout > 0 {
		runner.SetTimeout(opts.Timeout)
	}
	var cov *cover.Cover
	if opts.Coverage {
		// The baseline pass only, as the team verdict has always measured: the
		// supplementary passes (rule indexing off, early exit off) evaluate every test again.
		cov = cover.New()
		runner.SetCoverageQueryTracer(cov).SetCoverageRuns([]cover.Kind{})
	}
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("run rego tests: %w", err)
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
	// Results arrive in any order; file and line give the order of the sources.
	slices.SortStableFunc(out, func(a, b TestResult) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out, cov, nil
}
