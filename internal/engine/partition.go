package engine

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// This file compiles a pack the build already checked whole (prechecked) on two compilers at
// once, one per core when there are two (Options.Cores), each with a part of its rules, the
// pack's helper modules and the lib modules they need: OPA's compiler runs on one goroutine,
// and the embedded pack's compile is most of a cold start. A part never cuts what evaluation
// puts together: the rules one event selects (the joint query of batch.go runs on one
// compiler) and a rule and any rule module it refers to are in one part. Every part holds the
// lib modules the caller's query needs, so the joint query of any part may resolve the caller
// too, and the first those of the subjects query (the lib queries are prepared on it). What a
// module needs is what its data references, imports and package reach (moduleScan), so each
// part's data tree lacks only what nothing in it refers to, and every rule and lib query
// evaluates as in the whole pack.

// splitCompilers is the number of compilers a prechecked pack is split over, at most: each
// compiles again the lib modules the others need too, and the embedded pack's rules form two
// parts of about the same weight (the IAM rules, which share events, and the tamper rules).
const splitCompilers = 2

// part is the modules one compiler compiles and the rules prepared on it.
type part struct {
	rules   []*rule.Rule
	modules map[string]*ast.Module
	weight  int
}

// splitPack returns p's modules in at most n parts (see the file comment), or a single part
// holding every module when p cannot be split: one rule component, or a helper or lib module
// that refers to a rule's package.
func splitPack(p *rule.Pack, lib map[string]*ast.Module, n int) []*part {
	whole := func() []*part {
		return []*part{{rules: p.Rules, modules: packModules(p, lib)}}
	}
	if n < 2 || len(p.Rules) < 2 {
		return whole()
	}
	byFile := map[string]int{} // rule module -> index in p.Rules
	for i, r := range p.Rules {
		if p.Modules[r.File] == nil {
			return whole()
		}
		byFile[r.File] = i
	}
	pkgs := make([]ast.Ref, len(p.Rules)) // each rule module's package path
	for i, r := range p.Rules {
		pkgs[i] = p.Modules[r.File].Package.Path
	}
	uf := newUnionFind(len(p.Rules))
	// Rules selected by one event are evaluated together.
	bySelection := map[rule.EventRef]int{}
	for i, r := range p.Rules {
		for _, ev := range r.Events {
			if j, ok := bySelection[ev]; ok {
				uf.union(i, j)
			} else {
				bySelection[ev] = i
			}
		}
	}
	// A module that refers to a rule's package (an import, a data reference, any prefix of
	// the package, such as data.builtin or data[x]) needs that rule in its part.
	shared := map[string]*ast.Module{}
	for name, m := range lib {
		shared[name] = m
	}
	for name, m := range p.Modules {
		if _, isRule := byFile[name]; !isRule {
			shared[name] = m
		}
	}
	mods := make([]*ast.Module, 0, len(p.Rules)+len(shared))
	for _, r := range p.Rules {
		mods = append(mods, p.Modules[r.File])
	}
	sharedNames := make([]string, 0, len(shared))
	for name := range shared {
		sharedNames = append(sharedNames, name)
	}
	sort.Strings(sharedNames)
	for _, name := range sharedNames {
		mods = append(mods, shared[name])
	}
	scans := scanModules(mods)
	for _, sc := range scans[len(p.Rules):] {
		if len(sc.refersTo(pkgs)) > 0 {
			return whole()
		}
	}
	for i := range p.Rules {
		for _, j := range scans[i].refersTo(pkgs) {
			uf.union(i, j)
		}
	}
	// The components, heaviest first, each to the lightest part.
	comps := map[int]*part{}
	var order []*part
	for i, r := range p.Rules {
		root := uf.find(i)
		c := comps[root]
		if c == nil {
			c = &part{}
			comps[root] = c
			order = append(order, c)
		}
		c.rules = append(c.rules, r)
		c.weight += scans[i].weight
	}
	if len(order) < 2 {
		return whole()
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].weight > order[j].weight })
	parts := make([]*part, min(n, len(order)))
	for i := range parts {
		parts[i] = &part{modules: map[string]*ast.Module{}}
	}
	for _, c := range order {
		lightest := parts[0]
		for _, pt := range parts[1:] {
			if pt.weight < lightest.weight {
				lightest = pt
			}
		}
		lightest.rules = append(lightest.rules, c.rules...)
		lightest.weight += c.weight
	}
	// Each part: its rules, the helper modules, and the lib modules all of these and the lib
	// queries reach.
	ruleIndex := make(map[*rule.Rule]int, len(p.Rules))
	for i, r := range p.Rules {
		ruleIndex[r] = i
	}
	var libMods []libModule
	var helpers [][]ast.Ref
	for k, name := range sharedNames {
		sc := scans[len(p.Rules)+k]
		if lib[name] != nil {
			libMods = append(libMods, libModule{name: name, pkg: lib[name].Package.Path, scan: sc})
		} else {
			helpers = append(helpers, sc.data)
		}
	}
	for i, pt := range parts {
		roots := append([][]ast.Ref{{actorRef}}, helpers...)
		if i == 0 {
			roots = append(roots, []ast.Ref{subjectsRef})
		}
		for _, r := range pt.rules {
			pt.modules[r.File] = p.Modules[r.File]
			roots = append(roots, scans[ruleIndex[r]].data)
		}
		for name, m := range shared {
			if lib[name] == nil {
				pt.modules[name] = m
			}
		}
		for _, name := range libReached(libMods, roots) {
			pt.modules[name] = lib[name]
		}
	}
	return parts
}

// The lib queries, as references: every part needs what the actor's reaches, the first what
// the subjects' reaches too.
var (
	actorRef    = ast.MustParseRef(ActorQuery)
	subjectsRef = ast.MustParseRef(SubjectsQuery)
)

// libModule is a lib module as splitPack reads it.
type libModule struct {
	name string
	pkg  ast.Ref
	scan moduleScan
}

// libReached returns the names of the lib modules the data prefixes of roots reach: those
// whose package a prefix is a prefix of or extends, and, in turn, those their own prefixes
// (their package included, so a package's every file) reach.
func libReached(lib []libModule, roots [][]ast.Ref) []string {
	var queue []ast.Ref
	for _, r := range roots {
		queue = append(queue, r...)
	}
	reached := make([]bool, len(lib))
	var out []string
	for len(queue) > 0 {
		prefix := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for i, m := range lib {
			if !reached[i] && related(prefix, m.pkg) {
				reached[i] = true
				out = append(out, m.name)
				queue = append(queue, m.scan.data...)
			}
		}
	}
	return out
}

// related reports whether one of two data references is a prefix of the other.
func related(a, b ast.Ref) bool { return a.HasPrefix(b) || b.HasPrefix(a) }

// packModules is every module compiled into p's compiler: the lib's and p's.
func packModules(p *rule.Pack, lib map[string]*ast.Module) map[string]*ast.Module {
	out := make(map[string]*ast.Module, len(lib)+len(p.Modules))
	for name, m := range lib {
		out[name] = m
	}
	for name, m := range p.Modules {
		out[name] = m
	}
	return out
}

// moduleScan is what splitPack reads of a module: the constant prefixes (constPrefix) of
// its data references, imports and package path, and its weight, its references, a proxy for
// its share of a compile.
type moduleScan struct {
	data   []ast.Ref
	weight int
}

// scanModules scans each module, on up to GOMAXPROCS goroutines: a walk of the pack costs
// about a twentieth of its compile.
func scanModules(mods []*ast.Module) []moduleScan {
	out := make([]moduleScan, len(mods))
	var next atomic.Int64
	scan := func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(mods) {
				return
			}
			out[i] = scanModule(mods[i])
		}
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(mods)) - 1 {
		wg.Go(scan)
	}
	scan()
	wg.Wait()
	return out
}

func scanModule(m *ast.Module) moduleScan {
	var sc moduleScan
	visit := func(ref ast.Ref) {
		if ref.HasPrefix(ast.DefaultRootRef) {
			sc.data = append(sc.data, constPrefix(ref))
		}
	}
	ast.WalkRefs(m, func(ref ast.Ref) bool {
		sc.weight++
		visit(ref)
		return false
	})
	for _, imp := range m.Imports {
		if ref, ok := imp.Path.Value.(ast.Ref); ok {
			visit(ref)
		}
	}
	return sc
}

// refersTo returns the indices of the packages in pkgs the scanned module refers to: those
// that one of its data prefixes is a prefix of or extends (its own package included).
func (sc moduleScan) refersTo(pkgs []ast.Ref) []int {
	var out []int
	for i, pkg := range pkgs {
		for _, prefix := range sc.data {
			if related(prefix, pkg) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// constPrefix is ref up to its first key that is not a string: the part of the data tree
// ref is known to stay under. (Ref.GroundPrefix does not cut at a key that is itself a
// reference, such as data[input.x].)
func constPrefix(ref ast.Ref) ast.Ref {
	for i, t := range ref[1:] {
		if _, ok := t.Value.(ast.String); !ok {
			return ref[:i+1]
		}
	}
	return ref
}

// compileParts compiles each part on its own compiler, each on its own goroutine when there
// are several, and prepares the query of each part's rules. It returns p's rules compiled,
// in p.Rules order, and the compilers, in parts order.
func compileParts(p *rule.Pack, lib map[string]*ast.Module, caps *ast.Capabilities, parts []*part, factRefs bool) ([]*Compiled, []*ast.Compiler, error) {
	type result struct {
		rules    []*Compiled
		compiler *ast.Compiler
		err      error
	}
	results := make([]result, len(parts))
	compile := func(i int) {
		pt := parts[i]
		var rewritten map[string]bool
		var roots []ast.Ref
		if factRefs {
			rewritten, roots = map[string]bool{}, libQueryRoots(lib, i == 0)
		}
		c := newCompiler(p, lib, caps, rewritten, roots)
		if c.Compile(withoutComments(pt.modules)); c.Failed() {
			results[i].err = fmt.Errorf("compile: %w", c.Errors)
			return
		}
		out := make([]*Compiled, 0, len(pt.rules))
		for _, r := range pt.rules {
			q, err := prepareQuery(c, binding{"alert", r.Query()})
			if err != nil {
				results[i].err = fmt.Errorf("prepare %s (%s): %w", r.ID, r.File, err)
				return
			}
			out = append(out, &Compiled{Rule: r, query: q, compiler: c, factRefs: rewritten[r.File]})
		}
		results[i] = result{rules: out, compiler: c}
	}
	var wg sync.WaitGroup
	for i := range parts[1:] {
		wg.Go(func() { compile(i + 1) })
	}
	compile(0)
	wg.Wait()
	byRule := make(map[*rule.Rule]*Compiled, len(p.Rules))
	compilers := make([]*ast.Compiler, len(parts))
	for i, res := range results {
		if res.err != nil {
			return nil, nil, res.err
		}
		compilers[i] = res.compiler
		for _, c := range res.rules {
			byRule[c.Rule] = c
		}
	}
	out := make([]*Compiled, 0, len(p.Rules))
	for _, r := range p.Rules {
		out = append(out, byRule[r])
	}
	return out, compilers, nil
}

// unionFind is a disjoint-set forest over 0..n-1.
type unionFind []int

func newUnionFind(n int) unionFind {
	uf := make(unionFind, n)
	for i := range uf {
		uf[i] = i
	}
	return uf
}

func (uf unionFind) find(i int) int {
	for uf[i] != i {
		uf[i] = uf[uf[i]]
		i = uf[i]
	}
	return i
}

func (uf unionFind) union(i, j int) { uf[uf.find(i)] = uf.find(j) }
