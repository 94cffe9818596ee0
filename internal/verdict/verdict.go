// Package verdict gives a team pack the verdict CI gives it: the team file's schema and
// validation, every rule's METADATA, the namespace and capability checks (package
// teams.<team>.*, ids prefixed by the team, data limited to data.lib.* and the team's own,
// no denied builtins), compilation on its own with the shared lib exactly as the detector
// compiles it, the Rego unit tests (which may import the shared test helpers, data.lib.test),
// and test coverage of the team's rule files.
// `detector rules lint` runs the static part, `detector rules test` all of it.
package verdict

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/regotest"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
)

// DefaultMinCoverage is the test coverage (percent of the lines of the team's rule and
// helper files that tests evaluate) below which `detector rules test` fails a team pack.
const DefaultMinCoverage = 80.0

// Options configure Check.
type Options struct {
	// Builtin is the built-in pack: subscription ids must name its rules, and its shared
	// test helpers (data.lib.test, rule.Pack.TestHelpers) are compiled in with the tests.
	Builtin *rule.Pack
	// Lib holds the lib modules (package lib.*).
	Lib map[string]*ast.Module
	// Tests runs the Rego unit tests and measures coverage.
	Tests bool
	// Now decides which suppressions have expired.
	Now time.Time
}

// Report is a team pack's verdict.
type Report struct {
	Team   string
	Origin string
	// Problems are the static findings (schema, metadata, namespace, capabilities,
	// compilation), each naming its file.
	Problems []error
	Tests    []regotest.TestResult
	// Coverage is measured when tests ran and the pack loaded.
	Coverage *Coverage
	// Rules is the number of rules checked.
	Rules int
}

// Coverage is the share of the team's rule and helper lines the tests evaluated.
type Coverage struct {
	Percent float64
	Files   []FileCoverage
}

// FileCoverage is one file's coverage, with the first lines no test reached.
type FileCoverage struct {
	File       string
	Percent    float64
	NotCovered []int
}

// Failed reports whether the verdict is a failure: a problem, a failing test, no tests
// when tests were asked for, or coverage under min.
func (r *Report) Failed(min float64) bool {
	if len(r.Problems) > 0 {
		return true
	}
	for _, t := range r.Tests {
		if !t.Pass && !t.Skip {
			return true
		}
	}
	return r.Coverage != nil && (len(r.Tests) == 0 || r.Coverage.Percent < min)
}

// Check runs the checks on one team pack.
func Check(ctx context.Context, src team.Source, opts Options) *Report {
	rep := &Report{Team: src.Team, Origin: src.Origin}
	p, err := team.Load(src, opts.Now)
	if err != nil {
		rep.Problems = flatten(err)
		return rep
	}
	rep.Rules = len(p.Rules.Rules)
	if opts.Builtin != nil {
		builtinIDs := map[string]bool{}
		for _, r := range opts.Builtin.Rules {
			builtinIDs[r.ID] = true
		}
		for _, id := range p.File.Subscriptions.IDs {
			if !builtinIDs[id] {
				rep.Problems = append(rep.Problems, fmt.Errorf("%s: subscriptions.ids: %s is not a built-in rule (detector rules list)", src.TeamFileName, id))
			}
		}
	}
	tests, err := p.Rules.Tests()
	if err != nil {
		rep.Problems = append(rep.Problems, flatten(err)...)
	}
	for _, name := range slices.Sorted(maps.Keys(tests)) {
		rep.Problems = append(rep.Problems, team.CheckModule(src.Team, name, tests[name])...)
	}
	if _, errs := engine.New(ctx, []*rule.Pack{p.Rules}, engine.Options{Lib: opts.Lib}); len(errs) > 0 {
		rep.Problems = append(rep.Problems, errs...)
	}
	if !opts.Tests || len(rep.Problems) > 0 {
		return rep
	}
	modules := maps.Clone(opts.Lib)
	if opts.Builtin != nil {
		// The shared test helpers (data.lib.test): team tests import them as the built-in
		// tests do. They come from the built-in pack only (a team's modules are teams.<team>.*,
		// so none can stand in for them) and are compiled for the tests alone.
		helpers, err := opts.Builtin.TestHelpers()
		if err != nil {
			rep.Problems = append(rep.Problems, err)
			return rep
		}
		maps.Copy(modules, helpers)
	}
	maps.Copy(modules, p.Rules.Modules)
	maps.Copy(modules, tests)
	results, cov, err := regotest.Run(ctx, modules, regotest.Options{Coverage: true})
	if err != nil {
		rep.Problems = append(rep.Problems, err)
		return rep
	}
	rep.Tests = results
	own := map[string]*ast.Module{}
	for name, m := range p.Rules.Modules {
		if name != src.TeamFileName { // the generated parameters module
			own[name] = m
		}
	}
	rep.Coverage = coverage(cov.Report(own), own)
	return rep
}

func coverage(r cover.Report, own map[string]*ast.Module) *Coverage {
	c := &Coverage{}
	covered, total := 0, 0
	for _, name := range slices.Sorted(maps.Keys(own)) {
		fr := r.Files[name]
		if fr == nil || fr.CoveredLines+fr.NotCoveredLines == 0 {
			continue // nothing to evaluate (a file of constants only)
		}
		covered += fr.CoveredLines
		total += fr.CoveredLines + fr.NotCoveredLines
		fc := FileCoverage{File: name, Percent: fr.Coverage}
		for _, rng := range fr.NotCovered {
			for row := rng.Start.Row; row <= rng.End.Row; row++ {
				fc.NotCovered = append(fc.NotCovered, row)
			}
		}
		c.Files = append(c.Files, fc)
	}
	if total > 0 {
		c.Percent = 100 * float64(covered) / float64(total)
	}
	return c
}

// flatten splits joined errors into one error per problem, dropping the wrappers that only
// name the pack (every problem names its own file).
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	if inner := errors.Unwrap(err); inner != nil {
		if _, ok := inner.(interface{ Unwrap() []error }); ok {
			return flatten(inner)
		}
	}
	return []error{err}
}
