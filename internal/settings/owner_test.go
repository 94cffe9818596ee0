package settings_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/reload"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/sink"
)

// TestDefaultsAgree: the defaults the documentation shows are the ones the packages apply
// when given no value (a team's routes use the sink's default too).
func TestDefaultsAgree(t *testing.T) {
	b, err := settings.LoadBundle(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if b.ReloadInterval != reload.DefaultInterval || b.FetchTimeout != reload.DefaultTimeout {
		t.Errorf("bundle defaults %v, %v; reload's %v, %v", b.ReloadInterval, b.FetchTimeout, reload.DefaultInterval, reload.DefaultTimeout)
	}
	if settings.PagerDutyMinSeverity.Default != sink.DefaultPagerDutyMinSeverity {
		t.Errorf("PAGERDUTY_MIN_SEVERITY documented default %s, the sink's %s", settings.PagerDutyMinSeverity.Default, sink.DefaultPagerDutyMinSeverity)
	}
	if reload.DefaultInterval != 60*time.Second {
		t.Errorf("reload.DefaultInterval %v", reload.DefaultInterval)
	}
}

// envReaders are the files, besides this package's, that may read the process environment:
// test support and the benchmark harness, none of them part of the detector or bootstrap
// binaries.
var envReaders = map[string]bool{
	"internal/testutil/testutil.go":       true,
	"internal/ocsf/ocsfschema/testing.go": true,
	"internal/bench/bench.go":             true,
}

// TestOnlySettingsReadsTheEnvironment fails when a Go file of the binaries reads the
// environment itself (os.Getenv, os.LookupEnv, os.Environ, or calls a getenv it was given)
// instead of taking what this package parsed. Passing os.Getenv to a loader is fine.
func TestOnlySettingsReadsTheEnvironment(t *testing.T) {
	reads := regexp.MustCompile(`\b(os\.(Getenv|LookupEnv|Environ)|syscall\.Getenv|getenv)\(`)
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "tools" || rel == "internal/settings" || (rel != "." && strings.HasPrefix(d.Name(), ".")) || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || envReaders[rel] {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if code, _, _ := strings.Cut(line, "//"); reads.MatchString(code) {
				t.Errorf("%s:%d reads the environment: %s (declare the variable in internal/settings/vars.go and take its parsed value)", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEveryDeclaredVarIsListed: a variable declared in vars.go but left out of Vars would be
// read without being documented (the table is generated from Vars), and no other test would
// notice.
func TestEveryDeclaredVarIsListed(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "vars.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, v := range settings.Vars {
		listed[v.Name] = true
	}
	declared := 0
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Var" {
			return true
		}
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok || fmt.Sprint(kv.Key) != "Name" {
				continue
			}
			name, err := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			declared++
			if !listed[name] {
				t.Errorf("%s: %s is declared but not listed in Vars (vars.go), so it is not documented", fset.Position(lit.Pos()), name)
			}
		}
		return true
	})
	if declared != len(settings.Vars) {
		t.Errorf("vars.go declares %d variables, Vars lists %d", declared, len(settings.Vars))
	}
}
