// Package rule loads rule packs: it reads Rego modules from any fs.FS (the embedded pack, a
// directory, a bundle), parses their METADATA blocks into Metadata and validates them against
// the rule contract in rules/README.md. It compiles nothing; internal/engine does that.
package rule

import (
	"github.com/trailhound/trailhound/internal/startgc"

	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Pack is a set of Rego modules loaded together: the rules, the helper modules they import,
// and their tests.
type Pack struct {
	Name    string // e.g. "builtin" or a team name
	Team    string // owning team, reported in alerts as rule.team
	Rules   []*Rule
	Modules map[string]*ast.Module // every non-test module by file name (rules and helpers)
	// Checked marks a pack compiled with every check when the binary was built: the embedded
	// pack, which the build's tests compile with `opa check --strict` semantics. The engine
	// skips OPA's check-only compile stages for it (internal/engine, compile.go); every other
	// pack (teams, bundles) gets every check.
	Checked bool
	// testSources holds the *_test.rego files unparsed: evaluating rules never needs them, and
	// parsing them would double the pack's cold start. Tests parses them on demand.
	testSources map[string]string
	// snapshotted counts the modules decoded from a snapshot rather than parsed; snapErrs
	// holds why the encodings that did not decode were not used.
	snapshotted int
	snapErrs    []error
}

// Snapshotted returns how many of the pack's modules were decoded from a snapshot taken when
// the binary was built (LoadPreread, PrereadModule.AST) rather than parsed.
func (p *Pack) Snapshotted() int { return p.snapshotted }

// SnapshotErrors returns why the snapshot's encodings of some modules did not decode (those
// modules were parsed instead), nil when every encoding given decoded.
func (p *Pack) SnapshotErrors() error { return errors.Join(p.snapErrs...) }

// Rule is one loaded rule: its metadata and where its Rego lives.
type Rule struct {
	Metadata
	Package string // Rego package without "data.", e.g. builtin.iam.access_key_reactivated
	File    string // file name as loaded, for messages
	Team    string
}

// Query is the Rego query that yields the rule's findings.
func (r *Rule) Query() string { return "data." + r.Package + ".alert" }

// Load reads every .rego file under fsys. prefix is prepended to file names in messages (for
// example "rules"). All problems found are returned together, each naming its file, in the
// order the files are walked.
//
// The modules are parsed, and their METADATA read and validated, in parallel (parsing is
// most of a cold start's pack loading); the result does not depend on the parallelism.
func Load(name, team, prefix string, fsys fs.FS) (*Pack, error) {
	return LoadPreread(name, team, prefix, fsys, nil)
}

// LoadPreread is Load with the package annotations of some modules read ahead of time (at
// build time, for the embedded pack): a module whose source matches its entry in pre is
// parsed without its METADATA YAML (about 40% of the parse), or decoded from the entry's AST
// when it has one (parsed when the binary was built; decoding costs a small part of parsing),
// and takes its rule's metadata from the entry, as validated when the table was read; any
// other module is parsed and validated as Load does. The result is the same as Load's, but
// for the modules' Annotations, which no loaded module needs.
func LoadPreread(name, team, prefix string, fsys fs.FS, pre Preread) (*Pack, error) {
	defer startgc.RelaxGC()()
	p := &Pack{Name: name, Team: team, Modules: map[string]*ast.Module{}, testSources: map[string]string{}}
	var files []*loadFile // every walked .rego file and walk error, in walk order
	err := fs.WalkDir(fsys, ".", func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			files = append(files, &loadFile{err: fmt.Errorf("%s: %w", path.Join(prefix, file), err)})
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(file, ".rego") {
			return nil
		}
		display := path.Join(prefix, file)
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			files = append(files, &loadFile{err: fmt.Errorf("read %s: %w", display, err)})
			return nil
		}
		if strings.HasSuffix(file, "_test.rego") {
			p.testSources[display] = string(src)
			return nil
		}
		lf := &loadFile{name: display, raw: src}
		if e, ok := pre[display]; ok && e.matches(src) {
			lf.pre = &e
		}
		files = append(files, lf)
		return nil
	})
	parseAll(files, team)
	var errs []error
	for _, f := range files {
		if f.err != nil {
			errs = append(errs, f.err)
			continue
		}
		p.Modules[f.name] = f.mod
		if f.snapshotted {
			p.snapshotted++
		}
		if f.snapErr != nil {
			p.snapErrs = append(p.snapErrs, f.snapErr)
		}
		if f.rule != nil {
			p.Rules = append(p.Rules, f.rule)
		}
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("walk %s: %w", prefix, err))
	}
	sort.Slice(p.Rules, func(i, j int) bool { return p.Rules[i].ID < p.Rules[j].ID })
	if err := CheckUnique(p.Rules); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load rule pack %s: %w", name, errors.Join(errs...))
	}
	return p, nil
}

// loadFile is one file of a pack being loaded: its source, then what parsing it gave (the
// module and the rule it defines, or the error).
type loadFile struct {
	name string
	// raw is the source as read, owned by the load and never written: a module decoded from
	// a snapshot has its locations' texts slice it (as a parsed one has the parser's copy).
	raw  []byte
	pre  *PrereadModule // its annotation read ahead of time, when it matches raw
	mod  *ast.Module
	rule *Rule
	err  error
	// snapshotted says that mod was decoded from the entry's AST rather than parsed; snapErr
	// why the entry's AST did not decode.
	snapshotted bool
	snapErr     error
}

// parseAll parses the files that have a source and no error, largest first, on up to
// GOMAXPROCS goroutines.
func parseAll(files []*loadFile, team string) {
	var todo []*loadFile
	for _, f := range files {
		if f.err == nil {
			todo = append(todo, f)
		}
	}
	// Largest first, so that no worker is left with a large file at the end.
	sort.SliceStable(todo, func(i, j int) bool { return len(todo[i].raw) > len(todo[j].raw) })
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	if workers <= 1 {
		for _, f := range todo {
			f.parse(team)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) {
					return
				}
				todo[i].parse(team)
			}
		})
	}
	wg.Wait()
}

func (f *loadFile) parse(team string) {
	if f.pre != nil {
		if f.mod = f.decodeSnapshot(); f.mod != nil {
			f.snapshotted = true
		} else if f.mod, f.err = parseModule(f.name, string(f.raw), false); f.err != nil {
			return
		}
		var ok bool
		if f.rule, ok = f.pre.rule(f.name, team, f.mod); ok {
			return
		}
		f.snapshotted = false
	}
	if f.mod, f.err = ParseModule(f.name, string(f.raw)); f.err != nil {
		return
	}
	f.rule, f.err = ruleFromModule(f.name, team, f.mod, packageAnnotation(f.mod))
}

// parserCapabilities are the capabilities the parser assumes for Rego v1 when given none (it
// reads their features and future keywords); computed once, as the parser would compute
// them again for every module, copying every builtin's declaration.
var parserCapabilities = sync.OnceValue(func() *ast.Capabilities {
	return ast.CapabilitiesForThisVersion(ast.CapabilitiesRegoVersion(ast.RegoV1))
})

// ParseModule parses one Rego v1 module with its annotations.
func ParseModule(file, src string) (*ast.Module, error) {
	return parseModule(file, src, true)
}

// parseModule parses one Rego v1 module, with its annotations when annotations is set.
func parseModule(file, src string, annotations bool) (*ast.Module, error) {
	mod, err := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{ProcessAnnotation: annotations, RegoVersion: ast.RegoV1, Capabilities: parserCapabilities()})
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	return mod, nil
}

// definesAlert reports whether the module defines the alert set: whether it is a rule.
func definesAlert(mod *ast.Module) bool {
	for _, r := range mod.Rules {
		if r.Head.Name == "alert" || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.Compare(ast.Var("alert")) == 0) {
			return true
		}
	}
	return false
}

// packageAnnotation returns the module's package-scoped METADATA block with custom keys, or
// nil (the last one when there are several).
func packageAnnotation(mod *ast.Module) *ast.Annotations {
	var pkgAnn *ast.Annotations
	for _, a := range mod.Annotations {
		if a.Scope == "package" && a.Custom != nil {
			pkgAnn = a
		}
	}
	return pkgAnn
}

// ruleFromModule returns the rule a module defines, nil for a helper module (one that defines
// no `alert`), or an error naming the file for a rule with missing or invalid metadata.
// pkgAnn is the module's package annotation (packageAnnotation), nil when it has none.
func ruleFromModule(file, team string, mod *ast.Module, pkgAnn *ast.Annotations) (*Rule, error) {
	if !definesAlert(mod) {
		if pkgAnn != nil && pkgAnn.Custom["id"] != nil {
			return nil, fmt.Errorf("%s: has rule metadata (custom.id) but defines no `alert` set", file)
		}
		return nil, nil
	}
	pkg := strings.TrimPrefix(mod.Package.Path.String(), "data.")
	if pkgAnn == nil {
		return nil, fmt.Errorf("%s: package %s defines `alert` but has no package-scoped # METADATA block with custom.id", file, pkg)
	}
	md, err := decodeCustom(pkgAnn.Custom)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	md.Title, md.Description = pkgAnn.Title, pkgAnn.Description
	if err := md.Validate(); err != nil {
		return nil, fmt.Errorf("%s: invalid metadata: %w", file, err)
	}
	if md.Version == "" {
		md.Version = "1"
	}
	return &Rule{Metadata: md, Package: pkg, File: file, Team: team}, nil
}

// CheckUnique reports rule ids used more than once, naming the files.
func CheckUnique(rules []*Rule) error {
	seen := map[string]string{}
	var errs []error
	for _, r := range rules {
		if prev, ok := seen[r.ID]; ok {
			errs = append(errs, fmt.Errorf("duplicate rule id %s in %s and %s", r.ID, prev, r.File))
			continue
		}
		seen[r.ID] = r.File
	}
	return errors.Join(errs...)
}

// LibRef is the root of the shared helper modules (rules/lib), compiled into every pack.
var LibRef = ast.MustParseRef("data.lib")

// IsLib reports whether m is a shared helper module (package lib.*).
func IsLib(m *ast.Module) bool { return m.Package.Path.HasPrefix(LibRef) }

// TestLibRef is the package of the shared Rego test helpers (rules/lib/test: record
// builders, patched, one, assertions). They live in _test.rego files, so a pack holds them
// with its tests (Tests, TestHelpers): they are parsed only when tests run, never compiled
// into the detector and never evaluated as rules.
var TestLibRef = ast.MustParseRef("data.lib.test")

// IsTestLib reports whether m is a module of the shared Rego test helpers (package lib.test).
func IsTestLib(m *ast.Module) bool { return m.Package.Path.Equal(TestLibRef) }

// Lib returns the pack's shared helper modules (package lib.*), keyed by file name.
func (p *Pack) Lib() map[string]*ast.Module {
	out := map[string]*ast.Module{}
	for name, m := range p.Modules {
		if IsLib(m) {
			out[name] = m
		}
	}
	return out
}
