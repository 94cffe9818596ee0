// Package engine compiles rule packs once, prepares one query per rule, selects the rules an
// event can concern by its (eventSource, eventName) before any Rego runs, and evaluates them
// with a per-rule deadline and restricted builtins. A rule that errors is reported by name;
// it never crashes the engine or silently yields nothing.
package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/startgc"
)

// DefaultDeadline bounds one rule's evaluation of one event.
const DefaultDeadline = 250 * time.Millisecond

// ActorQuery is the lib query that resolves the caller of an event into the alert's actor.
const ActorQuery = "data.lib.cloudtrail.actor"

// Options configure an Engine.
type Options struct {
	// Lib holds the shared helper modules (rules/lib) compiled into every pack.
	Lib map[string]*ast.Module
	// Deadline bounds one rule's evaluation of one event; DefaultDeadline when zero.
	Deadline time.Duration
	// Reuse is an engine whose compiled packs are taken as they are instead of compiled
	// again: a pack of packs that Reuse compiled, the same *rule.Pack with the same Lib (the
	// same modules), is not compiled a second time. A reload that changes team packs thus
	// leaves the built-in pack's compilation as it was.
	Reuse *Engine
	// PackDeadline, when > 0, bounds the time the selected rules of one pack take together on
	// one event (on top of Deadline per rule), so a slow pack cannot hold an event longer;
	// the packs of TrustedTeam (the built-in pack's) are not bound by it.
	PackDeadline time.Duration
	TrustedTeam  string
	// Cores is how many cores New may keep busy at once; 0: GOMAXPROCS. A pack the build
	// checked whole is compiled on two compilers at once only with two or more
	// (partition.go): the second compiles part of the lib again, which a process without a
	// second core (a Lambda function under 3,538 MB, whose GOMAXPROCS still reads 2) pays
	// for in time.
	Cores int
	// asWritten compiles every pack as written, without rewriteFactRefs (the engine's
	// reference copy, factrefs.go).
	asWritten bool
}

// Engine evaluates loaded rules against CloudTrail records. It is safe for concurrent use.
type Engine struct {
	rules    []*Compiled
	bySource map[string]map[string]*selection
	actor    *query
	subjects *query
	deadline time.Duration
	// packDeadline and trustedTeam are Options.PackDeadline and Options.TrustedTeam.
	packDeadline time.Duration
	trustedTeam  string
	// onJoint, when set (tests), is called for each joint evaluation of a batch.
	onJoint func()

	packs map[*rule.Pack]*compiledPack // the healthy packs, for Options.Reuse
	// libCompilers are the compilers of the pack the lib queries (actor, subjects) were
	// prepared on, that one first: each holds the lib, or, for the parts of a split pack,
	// the lib modules the caller's query reaches (partition.go), so a joint query on any of
	// them may resolve the caller too (batch.go). Nil when the lib was compiled on its own.
	libCompilers []*ast.Compiler
	// actorExpr is what the actor query and the joint queries evaluate for the caller:
	// ActorQuery, or, when libCompilers read the derived facts directly (factrefs.go), the
	// input.facts reference the lib's actor fact reads; a record without input.facts then
	// has its caller resolved by the reference copy (Engine.Actor).
	actorExpr string
	// reference is the engine compiled as written, without rewriteFactRefs, for a record
	// without input.facts (factrefs.go); built on first use.
	reference *referenceEngine
}

// compiledPack is one pack as New compiled it.
type compiledPack struct {
	lib       map[string]*ast.Module
	rules     []*Compiled
	compilers []*ast.Compiler // one, or the parts of a prechecked pack (partition.go)
}

// Compiled is a rule with its prepared query.
type Compiled struct {
	Rule     *rule.Rule
	query    *query        // binds the rule's alert set
	compiler *ast.Compiler // its pack's (its part's, partition.go), shared with the others'
	// factRefs: the rule reads the derived facts from input.facts directly (factrefs.go), so
	// a record without them is evaluated by the engine's reference copy.
	factRefs bool
}

// PackError reports a pack that failed to compile or prepare; the engine runs without it.
type PackError struct {
	Pack string
	Team string
	Err  error
}

func (e *PackError) Error() string { return fmt.Sprintf("rule pack %s: %v", e.Pack, e.Err) }
func (e *PackError) Unwrap() error { return e.Err }

// New compiles each pack on its own (a broken pack never takes the others down) and prepares
// one query per rule. It returns the engine with every healthy pack, and a *PackError for each
// pack left out. Rule ids must be unique across packs; a pack whose id collides with an
// earlier pack's is left out.
func New(ctx context.Context, packs []*rule.Pack, opts Options) (*Engine, []error) {
	// The collector, off since package initialisation, comes back shortly after the first
	// engine is compiled, once its first event has been evaluated (startgc.HoldStartGC).
	defer startgc.ReleaseStartGCSoon()
	defer startgc.RelaxGC()()
	e := &Engine{bySource: map[string]map[string]*selection{}, deadline: opts.Deadline, packs: map[*rule.Pack]*compiledPack{},
		packDeadline: opts.PackDeadline, trustedTeam: opts.TrustedTeam}
	if e.deadline <= 0 {
		e.deadline = DefaultDeadline
	}
	if !opts.asWritten {
		asWritten := opts
		asWritten.asWritten, asWritten.Reuse = true, nil
		packs := slices.Clone(packs)
		bg := context.WithoutCancel(ctx)
		e.reference = &referenceEngine{build: func() (*Engine, []error) { return New(bg, packs, asWritten) }}
	}
	caps := rule.Capabilities() // computed once: it copies every builtin's declaration
	var errs []error
	var libCompilers []*ast.Compiler // a pack's compilers holding the lib, for the lib queries
	libFactRefs := false             // libCompilers read the derived facts directly
	ids := map[string]string{}
	for _, p := range packs {
		var compiled []*Compiled
		var compilers []*ast.Compiler
		var err error
		factRefs := !opts.asWritten && readsFactsDirectly(p, opts.Lib)
		if prev := opts.Reuse.compiledPack(p, opts.Lib); prev != nil {
			compiled, compilers = prev.rules, prev.compilers
		} else {
			compiled, compilers, err = compilePack(p, opts.Lib, caps, opts.Cores, factRefs)
		}
		if err == nil {
			err = claimIDs(ids, p)
		}
		if err != nil {
			errs = append(errs, &PackError{Pack: p.Name, Team: p.Team, Err: err})
			continue
		}
		e.packs[p] = &compiledPack{lib: maps.Clone(opts.Lib), rules: compiled, compilers: compilers}
		if libCompilers == nil && carriesLibOnly(p, opts.Lib) {
			libCompilers, libFactRefs = compilers, factRefs
		}
		for _, c := range compiled {
			e.rules = append(e.rules, c)
			for _, ev := range c.Rule.Events {
				byName := e.bySource[ev.Source]
				if byName == nil {
					byName = map[string]*selection{}
					e.bySource[ev.Source] = byName
				}
				s := byName[ev.Name]
				if s == nil {
					s = &selection{}
					byName[ev.Name] = s
				}
				s.rules = append(s.rules, c)
			}
		}
	}
	if r := opts.Reuse; len(opts.Lib) > 0 && r != nil && libCompilers != nil && slices.Equal(r.libCompilers, libCompilers) {
		e.actor, e.subjects, e.libCompilers, e.actorExpr = r.actor, r.subjects, libCompilers, r.actorExpr
	} else if len(opts.Lib) > 0 {
		var first *ast.Compiler
		e.actorExpr = ActorQuery
		if len(libCompilers) > 0 {
			first = libCompilers[0]
			if libFactRefs {
				e.actorExpr = actorExpr(opts.Lib)
			}
		}
		if qs, compiler, err := prepareLib(first, opts.Lib, caps, e.actorExpr, SubjectsQuery); err != nil {
			errs = append([]error{&PackError{Pack: "lib", Err: err}}, errs...)
		} else {
			e.actor, e.subjects = qs[0], qs[1]
			if e.libCompilers = libCompilers; first == nil {
				e.libCompilers = []*ast.Compiler{compiler}
			}
		}
	}
	return e, errs
}

// compiledPack returns p as e compiled it with lib, or nil when e is nil or did not.
func (e *Engine) compiledPack(p *rule.Pack, lib map[string]*ast.Module) *compiledPack {
	if e == nil {
		return nil
	}
	if c := e.packs[p]; c != nil && maps.Equal(c.lib, lib) {
		return c
	}
	return nil
}

// resolvesActor reports whether a joint query on compiler c may bind the caller too: the lib
// queries were prepared on c or on another part of its pack (Engine.libCompilers).
func (e *Engine) resolvesActor(c *ast.Compiler) bool {
	return e.actor != nil && slices.Contains(e.libCompilers, c)
}

// carriesLibOnly reports whether p's compilers can serve the lib queries: the lib modules were
// compiled into them (compilePack adds them to every pack, and to each part of a split pack
// those its queries reach) and p defines nothing under data.lib beyond them, so data.lib there
// is the lib.
func carriesLibOnly(p *rule.Pack, lib map[string]*ast.Module) bool {
	if len(lib) == 0 {
		return false
	}
	for name, m := range p.Modules {
		if rule.IsLib(m) && lib[name] != m {
			return false
		}
	}
	return true
}

func claimIDs(ids map[string]string, p *rule.Pack) error {
	for _, r := range p.Rules {
		if prev, ok := ids[r.ID]; ok {
			return fmt.Errorf("rule id %s in %s is already used by %s", r.ID, r.File, prev)
		}
	}
	for _, r := range p.Rules {
		ids[r.ID] = r.File
	}
	return nil
}

// compilePack compiles p with lib: on one compiler, or, for a pack the build checked whole
// when cores (Options.Cores) allow two at once, split over splitCompilers (partition.go).
// It returns p's rules compiled, in p.Rules order, and the compilers.
func compilePack(p *rule.Pack, lib map[string]*ast.Module, caps *ast.Capabilities, cores int, factRefs bool) ([]*Compiled, []*ast.Compiler, error) {
	parts := []*part{{rules: p.Rules, modules: packModules(p, lib)}}
	if !prechecked(p, lib) {
		return compileParts(p, lib, caps, parts, factRefs)
	}
	procs := runtime.GOMAXPROCS(0)
	if cores <= 0 {
		cores = procs
	}
	if cores = min(cores, procs); cores > 1 {
		parts = splitPack(p, lib, min(cores, splitCompilers))
	}
	return compileParts(p, lib, caps, parts, factRefs)
}

// prepareLib prepares the lib queries on compiler, or, when it is nil (no pack carries
// exactly the lib), on the lib modules compiled on their own. It returns the compiler used.
func prepareLib(compiler *ast.Compiler, lib map[string]*ast.Module, caps *ast.Capabilities, queries ...string) ([]*query, *ast.Compiler, error) {
	if compiler == nil {
		compiler = ast.NewCompiler().WithCapabilities(caps)
		if compiler.Compile(withoutComments(lib)); compiler.Failed() {
			return nil, nil, fmt.Errorf("compile: %w", compiler.Errors)
		}
	}
	out := make([]*query, len(queries))
	for i, src := range queries {
		q, err := prepareQuery(compiler, binding{"x", src})
		if err != nil {
			return nil, nil, fmt.Errorf("prepare %s: %w", src, err)
		}
		out[i] = q
	}
	return out, compiler, nil
}

// withoutComments returns shallow copies of the modules without their comments, for a
// compiler: ast.Compiler.Compile copies every module it is given before it rewrites it (the
// same parsed modules are compiled into several packs and parts), and the comments, whose
// METADATA blocks were read at load, would be most of what it copies.
func withoutComments(in map[string]*ast.Module) map[string]*ast.Module {
	out := make(map[string]*ast.Module, len(in))
	for k, m := range in {
		shallow := *m
		shallow.Comments = nil
		out[k] = &shallow
	}
	return out
}

// Rules returns every loaded rule, sorted by id.
func (e *Engine) Rules() []*rule.Rule {
	out := make([]*rule.Rule, len(e.rules))
	for i, c := range e.rules {
		out[i] = c.Rule
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Events returns every declared (eventSource -> eventNames), sorted, for the EventBridge pattern.
func (e *Engine) Events() map[string][]string {
	out := map[string][]string{}
	for src, byName := range e.bySource {
		for name := range byName {
			out[src] = append(out[src], name)
		}
		sort.Strings(out[src])
	}
	return out
}

// RuleError is a rule that failed to evaluate an event.
type RuleError struct {
	Rule *rule.Rule
	Err  error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("rule %s (%s): %v", e.Rule.ID, e.Rule.File, e.Err)
}
func (e *RuleError) Unwrap() error { return e.Err }

func (e *Engine) evalRule(ctx context.Context, c *Compiled, input ast.Value) ([]Finding, error) {
	ctx, cancel := context.WithTimeout(ctx, e.deadline)
	defer cancel()
	vs, ok, err := c.query.eval(ctx, input)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("evaluation exceeded its %v deadline: %w", e.deadline, err)
		}
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return decodeAlertSet(c, vs[0])
}

// MaxFindings caps the findings one rule raises for one event: the first MaxFindings of its
// alert set (in the set's sorted order) become alerts; the others are counted in the kept
// findings' Excess, not decoded.
const MaxFindings = 100

// errEnough stops the iteration of an alert set at MaxFindings.
var errEnough = errors.New("enough findings")

// decodeAlertSet turns a rule's alert set into findings, in the set's (sorted) order, at most
// MaxFindings of them.
func decodeAlertSet(c *Compiled, v ast.Value) ([]Finding, error) {
	set, ok := v.(ast.Set)
	if !ok {
		return nil, fmt.Errorf("alert is %s, want a set of finding objects", ast.ValueName(v))
	}
	n := set.Len()
	if n == 0 {
		return nil, nil // most rules' sets: no closure for Iter to allocate
	}
	out := make([]Finding, 0, min(n, MaxFindings))
	err := set.Iter(func(t *ast.Term) error {
		if len(out) == MaxFindings {
			return errEnough
		}
		f, err := decodeFinding(c.Rule, t.Value)
		if err != nil {
			return fmt.Errorf("finding %d: %w", len(out), err)
		}
		f.Index, f.Of, f.Excess = len(out), n, max(n-MaxFindings, 0)
		out = append(out, f)
		return nil
	})
	if err != nil && err != errEnough {
		return nil, err
	}
	return out, nil
}

// ErrNoLib is Actor's error for an engine compiled without the lib (rules/lib).
var ErrNoLib = errors.New("no lib loaded: actor unresolved")

// Actor resolves the event's caller with the lib's actor query. It returns nil when the lib
// defines none.
func (e *Engine) Actor(ctx context.Context, input ast.Value) (map[string]any, error) {
	if e.actor == nil {
		return nil, ErrNoLib
	}
	if e.actorExpr != ActorQuery && e.reference != nil && !hasFacts(input) {
		ref, err := e.reference.get()
		if err != nil {
			return nil, fmt.Errorf("resolve actor: %w", err)
		}
		return ref.Actor(ctx, input)
	}
	ctx, cancel := context.WithTimeout(ctx, e.deadline)
	defer cancel()
	v, ok, err := e.actor.evalJSON(ctx, input)
	if err != nil {
		return nil, fmt.Errorf("resolve actor: %w", err)
	}
	if !ok {
		return nil, errors.New("resolve actor: lib.cloudtrail.actor is undefined for this event")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("resolve actor: got %T, want an object", v)
	}
	return m, nil
}

// EventsString formats a rule's declared events for listings.
func EventsString(r *rule.Rule) string {
	s := make([]string, len(r.Events))
	for i, ev := range r.Events {
		s[i] = ev.String()
	}
	return strings.Join(s, ", ")
}
