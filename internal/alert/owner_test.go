package alert

// Alert v1 has one owner: this package. The test type-checks every other package of the module
// (its non-test files, under each build tag set the module uses) and fails on a composite
// literal of Alert or of a type it is made of (Rule, Event, Dedup, Tuning, ...), on new() of
// one, and on an assignment to a field of one: other packages build and change alerts through
// this package's constructors and methods, and only read the fields.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const alertPkg = "github.com/trailhound/trailhound/internal/alert"

// ownerTagSets are the build tag sets the module's files are compiled with.
var ownerTagSets = []string{"", "lambda,lambda.norpc"}

func TestAlertIsBuiltAndChangedOnlyHere(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the module")
	}
	root := moduleRoot(t)
	seen := map[string]bool{}
	var found []string
	checked := 0
	for _, tags := range ownerTagSets {
		pkgs := listPackages(t, root, tags)
		for _, p := range pkgs {
			if p.Module == nil || p.Module.Path != "github.com/trailhound/trailhound" || p.ImportPath == alertPkg ||
				strings.HasPrefix(p.ImportPath, alertPkg+"/") {
				continue
			}
			vs, err := ownerViolations(p, pkgs)
			if err != nil {
				t.Fatalf("tags %q: %v", tags, err)
			}
			checked++
			for _, v := range vs {
				rel, err := filepath.Rel(root, v)
				if err != nil {
					rel = v
				}
				if !seen[rel] {
					seen[rel] = true
					found = append(found, rel)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages: the module listing is wrong", checked)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Errorf("%s: only package alert builds or changes an Alert (use its constructors and methods)", f)
	}
}

// TestOwnerViolationsFound: the scan finds each kind of violation it is meant to find, so the
// test above can fail.
func TestOwnerViolationsFound(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the module")
	}
	root := moduleRoot(t)
	pkgs := listPackages(t, root, "")
	dir := t.TempDir()
	src := `package bad

import "github.com/trailhound/trailhound/internal/alert"

func f(a *alert.Alert, b alert.Alert) {
	_ = alert.Alert{}
	_ = &alert.Alert{Title: "x"}
	_ = new(alert.Alert)
	a.Severity = "high"
	a.Context["k"] = 1
	a.Dedup.Count++
	b.Remediation.Steps = nil
	_ = []alert.Step{{Title: "x"}}
	r := &a.Rule
	r.Team, _ = "t", 0
	a.Title += "x"
	_ = a.Title // reading is fine
	c := *a     // so is a copy
	_ = c
	var d alert.Alert
	*a = d
	var e *alert.Alert // a pointer is fine
	_ = e
}
`
	file := filepath.Join(dir, "bad.go")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	vs, err := ownerViolations(&listedPackage{ImportPath: "example.com/bad", Dir: dir, GoFiles: []string{"bad.go"}}, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, v := range vs {
		lines = append(lines, v[strings.LastIndex(v, "bad.go:")+len("bad.go:"):])
	}
	want := []string{
		"6:6: composite literal of alert.Alert",
		"7:7: composite literal of alert.Alert",
		"8:6: new(alert.Alert)",
		"9:2: assignment to field Severity of alert.Alert",
		"10:2: assignment to field Context of alert.Alert",
		"11:2: assignment to field Count of alert.Dedup",
		"12:2: assignment to field Steps of alert.Remediation",
		"13:6: composite literal of []alert.Step",
		"13:19: composite literal of alert.Step",
		"15:2: assignment to field Team of alert.Rule",
		"16:2: assignment to field Title of alert.Alert",
		"20:6: declaration of an empty alert.Alert to fill",
		"21:2: assignment to a whole alert.Alert",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("violations found:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

type listedPackage struct {
	ImportPath string
	Dir        string
	Export     string
	GoFiles    []string
	CgoFiles   []string
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		t.Fatal("not in a module")
	}
	return filepath.Dir(mod)
}

// listPackages lists the module's packages and their dependencies with export data.
func listPackages(t *testing.T, root, tags string) []*listedPackage {
	t.Helper()
	args := []string{"list", "-e", "-export", "-deps", "-json=ImportPath,Dir,Export,GoFiles,CgoFiles,Module,Error"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, "./...")...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list (tags %q): %v\n%s", tags, err, stderr.Bytes())
	}
	var pkgs []*listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, &p)
	}
	return pkgs
}

// ownerViolations type-checks p's files against the export data of pkgs and returns each
// place that builds or changes an alert, as "file:line:col: what".
func ownerViolations(p *listedPackage, pkgs []*listedPackage) ([]string, error) {
	exports := make(map[string]string, len(pkgs))
	for _, q := range pkgs {
		exports[q.ImportPath] = q.Export
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	var files []*ast.File
	for _, name := range append(append([]string(nil), p.GoFiles...), p.CgoFiles...) {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		files = append(files, f)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Selections: map[*ast.SelectorExpr]*types.Selection{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp, FakeImportC: true}
	if _, err := conf.Check(p.ImportPath, fset, files, info); err != nil {
		return nil, fmt.Errorf("type-check %s: %w", p.ImportPath, err)
	}
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fset.Position(n.Pos()).String()+": "+fmt.Sprintf(format, args...))
	}
	// assigned reports the alert fields an assignment's left-hand side writes: a selector of
	// such a field anywhere on the path to the assigned location (a.Dedup.Count, a.Context[k]).
	assigned := func(lhs ast.Expr) {
		if s, ok := ast.Unparen(lhs).(*ast.StarExpr); ok {
			if name, ok := alertPart(info.Types[s].Type); ok {
				report(lhs, "assignment to a whole %s", name) // *p = *q
				return
			}
		}
		for e := lhs; e != nil; {
			switch x := e.(type) {
			case *ast.ParenExpr:
				e = x.X
			case *ast.StarExpr:
				e = x.X
			case *ast.IndexExpr:
				e = x.X
			case *ast.SelectorExpr:
				if sel := info.Selections[x]; sel != nil && sel.Kind() == types.FieldVal {
					if name, ok := alertPart(sel.Recv()); ok {
						report(lhs, "assignment to field %s of %s", x.Sel.Name, name)
						return
					}
				}
				e = x.X
			default:
				return
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if tv, ok := info.Types[x]; ok && involvesAlert(tv.Type) {
					report(x, "composite literal of %s", types.TypeString(tv.Type, qualifier))
				}
			case *ast.CallExpr:
				if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && len(x.Args) == 1 {
					if b, ok := info.Uses[id].(*types.Builtin); ok && b.Name() == "new" {
						if tv, ok := info.Types[x.Args[0]]; ok {
							if name, ok := alertPart(tv.Type); ok {
								report(x, "new(%s)", name)
							}
						}
					}
				}
			case *ast.AssignStmt:
				if x.Tok != token.DEFINE {
					for _, l := range x.Lhs {
						assigned(l)
					}
				}
			case *ast.IncDecStmt:
				assigned(x.X)
			case *ast.ValueSpec:
				// var a alert.Alert: an alert filled field by field or decoded (alert.Decode).
				if x.Type != nil {
					if name, ok := alertPart(info.Types[x.Type].Type); ok && !isPointer(info.Types[x.Type].Type) {
						report(x, "declaration of an empty %s to fill", name)
					}
				}
			case *ast.RangeStmt:
				if x.Tok == token.ASSIGN {
					assigned(x.Key)
					assigned(x.Value)
				}
			}
			return true
		})
	}
	return out, nil
}

func qualifier(p *types.Package) string { return p.Name() }

func isPointer(t types.Type) bool {
	_, ok := t.(*types.Pointer)
	return ok
}

// alertParts are the names of Alert and of the struct types it is made of.
var alertParts = func() map[string]bool {
	parts := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			walk(t.Elem())
		case reflect.Struct:
			if t.PkgPath() != alertPkg || parts[t.Name()] {
				return
			}
			parts[t.Name()] = true
			for i := range t.NumField() {
				walk(t.Field(i).Type)
			}
		}
	}
	walk(reflect.TypeFor[Alert]())
	return parts
}()

// alertPart says whether t (or what it points to) is Alert or a struct type it is made of.
func alertPart(t types.Type) (string, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != alertPkg || !alertParts[n.Obj().Name()] {
		return "", false
	}
	return "alert." + n.Obj().Name(), true
}

// involvesAlert says whether a composite literal of type t builds an alert part: t is one,
// or a slice, array or map of them (of values: a slice of pointers to alerts builds none).
func involvesAlert(t types.Type) bool {
	for {
		if p, ok := t.(*types.Pointer); ok {
			t = p.Elem() // &alert.Alert{...}
		}
		if _, ok := alertPart(t); ok {
			return true
		}
		switch u := types.Unalias(t).Underlying().(type) {
		case *types.Slice:
			t = u.Elem()
		case *types.Array:
			t = u.Elem()
		case *types.Map:
			t = u.Elem()
		default:
			return false
		}
		if _, ok := t.(*types.Pointer); ok {
			return false
		}
	}
}
