// The `rules` command's dispatch and the subcommands that run Rego tests or check team
// packs: test (internal/regotest), lint and the team verdict (internal/verdict), bundle.
// regotest and verdict import OPA's tester and cover packages; the Lambda function
// (cmd/bootstrap) does not import this package, so it links none of them.

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/regotest"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/verdict"
)

func cmdRules(ctx context.Context, args []string, s stdio) (int, error) {
	if len(args) == 0 {
		return ExitUsage, usagef("want a subcommand: list, test, lint, bundle, doc")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(s.out, rulesUsage)
		return ExitOK, nil
	case "list":
		return rulesList(ctx, args[1:], s)
	case "test":
		return rulesTest(ctx, args[1:], s)
	case "doc":
		return rulesDoc(ctx, args[1:], s)
	case "lint":
		return rulesLint(ctx, args[1:], s)
	case "bundle":
		return rulesBundle(ctx, args[1:], s)
	}
	return ExitUsage, usagef("unknown subcommand %q (want list, test, lint, bundle or doc; run 'detector rules -h' for usage)", args[0])
}

// rulesUsage is what detector rules --help prints.
const rulesUsage = `usage: detector rules <subcommand> [flags] [args]

subcommands:
  list [--format text|json] [--rules DIR]...   list the loaded rules
  test [-v] [DIR]                              run the Rego unit tests of the built-in pack, or
                                               of DIR; for team packs, the full CI verdict
  lint DIR...                                  check team packs
  bundle --out FILE [--signing-key KEY] DIR... write team packs as an OPA bundle
  doc [--out FILE]                             write the rule catalog (Markdown)

Run 'detector rules <subcommand> -h' for its flags.
`

func rulesTest(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules test", s, "rules test [-v] [DIR]")
	verbose := fs.Bool("v", false, "list every test, not only failures")
	minCoverage := fs.Float64("min-coverage", verdict.DefaultMinCoverage, "team packs: fail when the tests cover less than this percentage of the team's rule lines")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	if len(dirs) > 1 {
		return ExitUsage, usagef("rules test takes at most one directory")
	}
	if len(dirs) == 1 && hasTeamPacks(dirs[0]) {
		return teamVerdict(ctx, dirs, true, *verbose, *minCoverage, s)
	}
	builtin, err := setup.BuiltinPack()
	if err != nil {
		return ExitUsage, err
	}
	modules, err := builtin.AllModules()
	if err != nil {
		return ExitPartial, err
	}
	if len(dirs) == 1 {
		st, err := os.Stat(dirs[0])
		if err != nil || !st.IsDir() {
			return ExitUsage, usagef("rules test: %s is not a directory", dirs[0])
		}
		p, err := rule.Load(dirs[0], "", dirs[0], os.DirFS(dirs[0]))
		if err != nil {
			return ExitPartial, err
		}
		builtinModules := modules
		if modules, err = p.AllModules(); err != nil {
			return ExitPartial, err
		}
		for name, m := range builtinModules {
			if rule.IsLib(m) {
				modules[name] = m // the lib and its tests
			}
		}
	}
	results, _, err := regotest.Run(ctx, modules, regotest.Options{})
	if err != nil {
		return ExitPartial, err
	}
	passed, failed := printTests(s.out, "", results, *verbose)
	fmt.Fprintf(s.out, "%d passed, %d failed\n", passed, failed)
	if len(results) == 0 {
		return ExitPartial, fmt.Errorf("no Rego tests found")
	}
	if failed > 0 {
		return ExitPartial, nil
	}
	return ExitOK, nil
}

// rulesLint is `detector rules lint DIR...`: the static part of a team pack's verdict
// (team file, METADATA, namespace, capabilities, compilation).
func rulesLint(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules lint", s, "rules lint [--tuning FILE] DIR...")
	tuningFile := fs.String("tuning", "", "also validate this org tuning file against the built-in pack and the team packs given")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	if len(dirs) == 0 && *tuningFile == "" {
		return ExitUsage, usagef("rules lint: want a team pack directory (teams/payments) or a directory of them (teams), or --tuning FILE")
	}
	code := ExitOK
	var errs []error
	if *tuningFile != "" {
		c, err := lintTuning(ctx, *tuningFile, dirs, s)
		if err != nil {
			if c == ExitUsage {
				return c, err
			}
			code, errs = c, append(errs, err)
		}
	}
	if len(dirs) > 0 {
		c, err := teamVerdict(ctx, dirs, false, false, 0, s)
		if err != nil {
			if c == ExitUsage {
				return c, err
			}
			code, errs = c, append(errs, err)
		}
	}
	return code, errors.Join(errs...)
}

// hasTeamPacks reports whether dir is a team pack or a directory of them, which `rules
// test` then checks with the team verdict.
func hasTeamPacks(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, team.FileName)); err == nil {
		return true
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*", team.FileName))
	return len(matches) > 0
}

// teamVerdict checks each team pack in dirs and prints its verdict: problems, failing
// tests (every test with verbose), coverage. Exit status 2 when any pack fails.
func teamVerdict(ctx context.Context, dirs []string, tests, verbose bool, minCoverage float64, s stdio) (int, error) {
	sources, err := team.Dirs(dirs)
	if err != nil {
		return ExitUsage, usagef("%v", err)
	}
	builtin, err := setup.BuiltinPack()
	if err != nil {
		return ExitUsage, err
	}
	opts := verdict.Options{Builtin: builtin, Lib: builtin.Lib(), Tests: tests, Now: time.Now()}
	failed := 0
	for _, src := range sources {
		rep := verdict.Check(ctx, src, opts)
		printVerdict(s, rep, verbose, minCoverage)
		if rep.Failed(minCoverage) {
			failed++
		}
	}
	if failed > 0 {
		return ExitPartial, fmt.Errorf("%d of %d team pack(s) failed", failed, len(sources))
	}
	return ExitOK, nil
}

func printVerdict(s stdio, rep *verdict.Report, verbose bool, minCoverage float64) {
	w := s.out
	fmt.Fprintf(w, "team %s (%s): %d rule(s)\n", rep.Team, rep.Origin, rep.Rules)
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  PROBLEM %s\n", strings.ReplaceAll(p.Error(), "\n", "\n    "))
	}
	passed, failedTests := printTests(w, "  ", rep.Tests, verbose)
	if rep.Coverage != nil {
		fmt.Fprintf(w, "  tests: %d passed, %d failed\n", passed, failedTests)
		if len(rep.Tests) == 0 {
			fmt.Fprintf(w, "  PROBLEM no Rego tests: every rule needs a _test.rego beside it\n")
		}
		fmt.Fprintf(w, "  coverage: %.1f%% (minimum %.0f%%)\n", rep.Coverage.Percent, minCoverage)
		for _, f := range rep.Coverage.Files {
			line := fmt.Sprintf("    %s %.1f%%", f.File, f.Percent)
			if len(f.NotCovered) > 0 {
				line += " not covered: lines " + joinInts(f.NotCovered, 12)
			}
			fmt.Fprintln(w, line)
		}
	}
	verdict := "ok"
	if rep.Failed(minCoverage) {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s team %s\n", verdict, rep.Team)
}

// printTests prints the failed tests (every test with verbose), each line after indent, and
// counts the passed and the failed ones (a skipped test is neither): for the built-in pack's
// tests and for a team pack's.
func printTests(w io.Writer, indent string, results []regotest.TestResult, verbose bool) (passed, failed int) {
	for _, t := range results {
		status := testStatus(t)
		switch status {
		case "PASS":
			passed++
		case "FAIL":
			failed++
		}
		if verbose || status == "FAIL" {
			fmt.Fprintf(w, "%s%s %s:%d %s.%s", indent, status, t.File, t.Line, t.Package, t.Name)
			if t.Err != "" {
				fmt.Fprintf(w, ": %s", t.Err)
			}
			fmt.Fprintln(w)
			if status == "FAIL" && t.Output != "" {
				fmt.Fprintf(w, "%s    output: %s\n", indent, t.Output)
			}
		}
	}
	return passed, failed
}

func testStatus(t regotest.TestResult) string {
	switch {
	case t.Skip:
		return "SKIP"
	case !t.Pass:
		return "FAIL"
	}
	return "PASS"
}

func joinInts(ns []int, max int) string {
	var parts []string
	for i, n := range ns {
		if i == max {
			parts = append(parts, fmt.Sprintf("... (%d more)", len(ns)-max))
			break
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, ", ")
}

// rulesBundle is `detector rules bundle`: team packs as one OPA bundle for RULES_BUNDLE,
// signed when a key is given. Invalid packs are refused, so a bundle always loads.
func rulesBundle(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules bundle", s, "rules bundle --out FILE [--signing-key PEM] [--signing-alg ALG] [--revision REV] [--tuning FILE] [DIR...]")
	tuningFile := fs.String("tuning", "", "carry this org tuning file in the bundle (validated first against the built-in pack and the team packs given)")
	out := fs.String("out", "", "write the bundle (tar.gz) to FILE (required)")
	keyFile := fs.String("signing-key", "", "sign with this PEM private key file (RS256 or ES256 inferred; for HS256 the file holds the secret)")
	alg := fs.String("signing-alg", "", "signature algorithm (default: inferred from the key)")
	revision := fs.String("revision", "", "revision written to the bundle manifest (a commit id, a build number)")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	if *out == "" || (len(dirs) == 0 && *tuningFile == "") {
		return ExitUsage, usagef("rules bundle: want --out FILE and at least one team pack directory or --tuning FILE")
	}
	var sources []team.Source
	if len(dirs) > 0 {
		if sources, err = team.Dirs(dirs); err != nil {
			return ExitUsage, usagef("%v", err)
		}
	}
	opts := bundle.WriteOptions{Revision: *revision, Now: time.Now()}
	if *tuningFile != "" {
		if opts.Tuning, err = tuningJSON(ctx, *tuningFile, dirs); err != nil {
			return ExitPartial, fmt.Errorf("not writing a bundle with an invalid tuning file: %w", err)
		}
	}
	if *keyFile != "" {
		material := *keyFile
		if strings.HasPrefix(strings.ToUpper(*alg), "HS") {
			b, err := os.ReadFile(*keyFile)
			if err != nil {
				return ExitUsage, usagef("--signing-key: %v", err)
			}
			material = string(b)
		}
		if opts.Key, err = bundle.LoadKey(material, *alg); err != nil {
			return ExitUsage, usagef("--signing-key: %v", err)
		}
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, sources, opts); err != nil {
		return ExitPartial, err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return ExitUsage, fmt.Errorf("write: %w", err)
	}
	fmt.Fprintf(s.err, "rules bundle: wrote %s (%d team pack(s), tuning file: %v, %d bytes, signed: %v)\n", *out, len(sources), opts.Tuning != nil, buf.Len(), opts.Key != nil)
	return ExitOK, nil
}
