package rules

import (
	"bytes"
	"context"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/trailhound/trailhound/internal/regotest"
	"github.com/trailhound/trailhound/internal/rule"
)

// Test naming convention for rule tests (enforced by TestRuleTestsHavePositiveAndNegativeCases):
// a test whose name starts with test_alert_ asserts the rule raises an alert (a positive case);
// one whose name starts with test_no_alert_ asserts it raises nothing (a near-miss negative
// case). Other test_ names are allowed for checks on message, target or severity.
const (
	positivePrefix = "test_alert_"
	negativePrefix = "test_no_alert_"
)

// regoFiles returns the sorted paths of every .rego file in FS.
func regoFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rego") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk embedded FS: %v", err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("the embedded FS holds no .rego files")
	}
	return files
}

func isTestFile(p string) bool { return strings.HasSuffix(p, "_test.rego") }

// parseAll parses every embedded module as Rego v1 with annotations, keyed by path.
func parseAll(t *testing.T) map[string]*ast.Module {
	t.Helper()
	mods := map[string]*ast.Module{}
	for _, p := range regoFiles(t) {
		src, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{
			RegoVersion:       ast.RegoV1,
			ProcessAnnotation: true,
		})
		if err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		mods[p] = m
	}
	return mods
}

// TestEmbedCoversAllRegoFiles guards the go:embed patterns: every .rego file under lib and
// builtin on disk must be embedded, and nothing but .rego files may be.
func TestEmbedCoversAllRegoFiles(t *testing.T) {
	embedded := map[string]bool{}
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !strings.HasSuffix(p, ".rego") {
			t.Errorf("embedded FS holds a non-Rego file: %s", p)
		}
		embedded[p] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"lib", "builtin"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".rego") && !embedded[filepath.ToSlash(p)] {
				t.Errorf("%s exists on disk but is not embedded: fix the go:embed patterns in embed.go", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRegoIsFormatted is the in-process equivalent of `opa fmt --list`.
func TestRegoIsFormatted(t *testing.T) {
	for _, p := range regoFiles(t) {
		src, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.SourceWithOpts(p, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if !bytes.Equal(out, src) {
			t.Errorf("%s is not opa fmt clean", p)
		}
	}
}

// compileStrict compiles every module (rules, helpers and tests) the way `opa check --strict`
// does.
func compileStrict(t *testing.T, mods map[string]*ast.Module) *ast.Compiler {
	t.Helper()
	c := ast.NewCompiler().
		WithStrict(true).
		WithDefaultRegoVersion(ast.RegoV1).
		WithEnablePrintStatements(false)
	c.Compile(mods)
	if c.Failed() {
		for _, e := range c.Errors {
			t.Errorf("strict compile: %v", e)
		}
		t.FailNow()
	}
	return c
}

func TestRegoCompilesStrict(t *testing.T) {
	compileStrict(t, parseAll(t))
}

// TestRegoUnitTests runs every Rego test in the pack in-process (`opa test` equivalent) as
// `detector rules test` does (regotest: the engine's capabilities, builtin errors raised as
// test errors).
func TestRegoUnitTests(t *testing.T) {
	mods := parseAll(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results, _, err := regotest.Run(ctx, mods, regotest.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("run Rego tests: %v", err)
	}
	perFile := map[string]int{}
	n := len(results)
	for _, r := range results {
		name := r.Package + "." + r.Name
		perFile[r.File]++
		switch {
		case r.Err != "":
			t.Errorf("ERROR %s: %s", name, r.Err)
		case r.Skip:
			t.Errorf("SKIPPED %s: skipped Rego tests hide coverage; remove the todo_ prefix", name)
		case !r.Pass:
			t.Errorf("FAIL %s (%s:%d)", name, r.File, r.Line)
		}
	}
	if n == 0 {
		t.Fatal("no Rego tests found")
	}
	for p, m := range mods {
		if isTestFile(p) && perFile[p] == 0 && !isTestHelper(m) {
			t.Errorf("%s holds no test_ rules", p)
		}
	}
	t.Logf("%d Rego tests ran", n)
}

// isTestHelper reports whether m is a module of the shared test helpers, package lib.test
// (lib/test/*_test.rego): test-only, but holding helpers, not tests.
func isTestHelper(m *ast.Module) bool { return m.Package.Path.Equal(rule.TestLibRef) }

// TestTestHelpersAreTestOnly: the shared test helpers (data.lib.test) are never a rule and
// never needed to evaluate one. They define no `alert` and carry no rule metadata, no module
// outside a _test.rego file refers to them, and the built-in pack as the detector loads it
// holds them with its tests only (not among the modules it compiles).
func TestTestHelpersAreTestOnly(t *testing.T) {
	mods := parseAll(t)
	helpers := 0
	for p, m := range mods {
		if isTestHelper(m) {
			helpers++
			for _, r := range m.Rules {
				if r.Head.Name == "alert" || strings.HasPrefix(r.Head.Name.String(), "test_") {
					t.Errorf("%s:%d: the test helpers define no alert and no tests", p, r.Location.Row)
				}
			}
			for _, a := range m.Annotations {
				if a.Custom != nil {
					t.Errorf("%s: the test helpers carry no rule metadata (custom)", p)
				}
			}
		}
		if isTestFile(p) {
			continue
		}
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if r.HasPrefix(rule.TestLibRef) {
				t.Errorf("%s: refers to %s: only tests may use the test helpers", p, r)
			}
			return false
		})
		for _, imp := range m.Imports {
			if r, ok := imp.Path.Value.(ast.Ref); ok && r.HasPrefix(rule.TestLibRef) {
				t.Errorf("%s: imports %s: only tests may use the test helpers", p, r)
			}
		}
	}
	if helpers == 0 {
		t.Fatal("no module of package lib.test: where did the test helpers go?")
	}
	pack, err := rule.Load("builtin", "builtin", "rules", FS)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range pack.Modules {
		if isTestHelper(m) {
			t.Errorf("%s is among the modules the detector compiles", name)
		}
	}
	th, err := pack.TestHelpers()
	if err != nil {
		t.Fatal(err)
	}
	if len(th) != helpers {
		t.Errorf("TestHelpers returned %d modules, want the %d of package lib.test", len(th), helpers)
	}
}

var (
	libPath  = regexp.MustCompile(`^lib/([a-z][a-z0-9_]*)/[a-z][a-z0-9_]*\.rego$`)
	rulePath = regexp.MustCompile(`^builtin/([a-z][a-z0-9_]*)/([a-z][a-z0-9_]*)\.rego$`)
)

// TestLayout checks file placement and package names: helpers are package lib.<dir>, a rule
// is package builtin.<service>.<file>, tests are the same package with a _test suffix, and
// every non-test file has a _test.rego beside it.
func TestLayout(t *testing.T) {
	mods := parseAll(t)
	for p, m := range mods {
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		base := p
		if isTestFile(p) {
			base = strings.TrimSuffix(p, "_test.rego") + ".rego"
		}
		var want string
		switch {
		case strings.HasPrefix(p, "lib/test/"):
			// The shared test helpers, package lib.test, are test-only: every file ends in
			// _test.rego, so the loader parses them only when tests run. test_test.rego tests them.
			if !isTestFile(p) {
				t.Errorf("%s: the test helpers in lib/test/ live in _test.rego files", p)
			}
			want = "lib.test"
			if p == "lib/test/test_test.rego" {
				want = "lib.test_test"
			}
			if pkg != want {
				t.Errorf("%s: package %s, want %s", p, pkg, want)
			}
			continue
		case libPath.MatchString(base):
			want = "lib." + libPath.FindStringSubmatch(base)[1]
		case rulePath.MatchString(base):
			sm := rulePath.FindStringSubmatch(base)
			want = "builtin." + sm[1] + "." + sm[2]
		default:
			t.Errorf("%s: unexpected location; helpers go in lib/<name>/, rules in builtin/<service>/<rule>.rego", p)
			continue
		}
		if isTestFile(p) {
			want += "_test"
			if _, ok := mods[base]; !ok {
				t.Errorf("%s has no %s beside it", p, path.Base(base))
			}
		} else if _, ok := mods[strings.TrimSuffix(p, ".rego")+"_test.rego"]; !ok {
			t.Errorf("%s has no %s beside it", p, strings.TrimSuffix(path.Base(p), ".rego")+"_test.rego")
		}
		if pkg != want {
			t.Errorf("%s: package %s, want %s", p, pkg, want)
		}
	}
}

// TestRuleTestsHavePositiveAndNegativeCases enforces the naming convention above.
func TestRuleTestsHavePositiveAndNegativeCases(t *testing.T) {
	mods := parseAll(t)
	for p, m := range mods {
		if !isTestFile(p) || !strings.HasPrefix(p, "builtin/") {
			continue
		}
		pos, neg := 0, 0
		for _, r := range m.Rules {
			name := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				name = r.Head.Reference[0].String()
			}
			switch {
			case strings.HasPrefix(name, positivePrefix):
				pos++
			case strings.HasPrefix(name, negativePrefix):
				neg++
			}
		}
		if pos == 0 {
			t.Errorf("%s: no positive case (a test named %s...)", p, positivePrefix)
		}
		if neg == 0 {
			t.Errorf("%s: no near-miss negative case (a test named %s...)", p, negativePrefix)
		}
	}
}

// TestActorEntrypoint pins the helper the Go alert builder evaluates for Alert.actor.
func TestActorEntrypoint(t *testing.T) {
	c := compileStrict(t, parseAll(t))
	ref := ast.MustParseRef("data.lib.cloudtrail.actor")
	if rules := c.GetRulesExact(ref); len(rules) == 0 {
		t.Fatalf("%v is not defined: the alert builder depends on it", ref)
	}
}
