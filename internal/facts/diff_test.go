package facts_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/facts"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/testutil"
	"github.com/trailhound/trailhound/rules"
)

// This file is the differential test between the Go facts and their Rego reference
// (rules/lib): for a record, (1) every fact Compute writes equals the lib fact of the same
// name evaluated on the raw record, and every fact it leaves out is undefined there; (2) the
// lib packages, the enrichment subjects, the caller and every built-in rule's alert set are
// the same with and without input.facts; (3) a record Compute declines makes the Rego raise
// an error (it declines only what the reference cannot evaluate).

// harness is the built-in pack compiled once, with the lib queries the comparison reads.
type harness struct {
	engine *engine.Engine
	all    []*engine.Compiled // every rule of the pack
	libs   map[string]rego.PreparedEvalQuery
}

var (
	harnessOnce sync.Once
	theHarness  *harness
	harnessErr  error
)

func getHarness(t testing.TB) *harness {
	t.Helper()
	harnessOnce.Do(func() { theHarness, harnessErr = newHarness() })
	if harnessErr != nil {
		t.Fatal(harnessErr)
	}
	return theHarness
}

func newHarness() (*harness, error) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		return nil, err
	}
	// As internal/rule/builtin loads it: the engine's rules then read the facts from
	// input.facts directly (internal/engine factrefs.go) and, without input.facts, are
	// evaluated as written, so (2) compares the two forms too.
	p.Checked = true
	lib := p.Lib()
	e, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: lib, Deadline: time.Minute})
	if len(errs) > 0 {
		return nil, fmt.Errorf("engine: %v", errs)
	}
	h := &harness{engine: e, libs: map[string]rego.PreparedEvalQuery{}}
	seen := map[*engine.Compiled]bool{}
	srcs := e.Events()
	for _, src := range sortedKeys(srcs) {
		for _, name := range srcs[src] {
			for _, c := range e.Select(src, name).Rules() {
				if !seen[c] {
					seen[c] = true
					h.all = append(h.all, c)
				}
			}
		}
	}
	mods := make([]func(*rego.Rego), 0, len(lib)+2)
	for name, m := range lib {
		mods = append(mods, rego.ParsedModule(m))
		_ = name
	}
	for _, pkg := range []string{"cloudtrail", "iam", "enrich"} {
		opts := append([]func(*rego.Rego){rego.Query("data.lib." + pkg), rego.StrictBuiltinErrors(true)}, mods...)
		q, err := rego.New(opts...).PrepareForEval(context.Background())
		if err != nil {
			return nil, fmt.Errorf("prepare data.lib.%s: %w", pkg, err)
		}
		h.libs[pkg] = q
	}
	return h, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lib evaluates data.lib.<pkg> on input; an error when the Rego raised one.
func (h *harness) lib(pkg string, input ast.Value) (ast.Object, error) {
	rs, err := h.libs[pkg].Eval(context.Background(), rego.EvalParsedInput(input))
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("data.lib.%s: %d results", pkg, len(rs))
	}
	v, err := ast.InterfaceToValue(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("data.lib.%s is %T", pkg, v)
	}
	return obj, nil
}

// outcome is what the pack makes of one input: findings per rule, the caller, the subjects.
type outcome struct {
	Findings  []string
	Actor     map[string]any
	ActorErr  string
	Subjects  map[string]any
	SubjErr   string
	RuleError []string
}

func (h *harness) outcome(input ast.Value) outcome {
	ctx := context.Background()
	var o outcome
	fs, errs := h.engine.Evaluate(ctx, h.engine.OneByOne(h.all), input)
	for _, f := range fs {
		o.Findings = append(o.Findings, fmt.Sprintf("%s|%s|%v|%s|%v", f.Rule.ID, f.Msg, f.Target, f.Severity, f.Context))
	}
	for _, err := range errs {
		o.RuleError = append(o.RuleError, err.Error())
	}
	var err error
	if o.Actor, err = h.engine.Actor(ctx, input); err != nil {
		o.ActorErr = err.Error()
	}
	if o.Subjects, err = h.engine.Subjects(ctx, input); err != nil {
		o.SubjErr = err.Error()
	}
	return o
}

// check runs the differential comparison on one record and reports every difference.
func check(t testing.TB, h *harness, name string, raw []byte) {
	t.Helper()
	plain, err := engine.ParseInput(raw)
	if err != nil {
		return // not a record: the engine rejects it before any rule runs
	}
	obj, ok := plain.(ast.Object)
	if !ok {
		return
	}
	if obj.Get(facts.KeyTerm) != nil {
		// A record that carries its own facts key: the engine never passes it on.
		plain = without(obj, facts.KeyTerm)
		got := engine.WithFacts(obj).(ast.Object).Get(facts.KeyTerm)
		want, ok := facts.Compute(plain)
		if (ok && (got == nil || got.Value.Compare(want) != 0)) || (!ok && got != nil) {
			t.Errorf("%s: the record's own facts key reached the rules", name)
		}
	}
	f, ok := facts.Compute(plain)
	refs := map[string]ast.Object{}
	var refErr error
	for _, pkg := range []string{"cloudtrail", "iam"} {
		r, err := h.lib(pkg, plain)
		if err != nil {
			refErr = err
			break
		}
		refs[pkg] = r
	}
	if !ok {
		if refErr == nil {
			t.Errorf("%s: Compute declined a record the Rego evaluates without error", name)
		}
		return
	}
	if refErr != nil {
		t.Errorf("%s: the Rego reference errs (%v) on a record Compute accepted", name, refErr)
		return
	}
	validate(t, name, f)
	fo := f.(ast.Object)
	if v := fo.Get(ast.StringTerm("version")); v == nil || !v.Equal(ast.InternedTerm(facts.Version)) {
		t.Errorf("%s: facts version %v", name, v)
	}
	for pkg, names := range facts.Names() {
		got, _ := fo.Get(ast.StringTerm(pkg)).Value.(ast.Object)
		if got == nil {
			t.Errorf("%s: facts.%s missing", name, pkg)
			continue
		}
		if got.Len() > len(names) {
			t.Errorf("%s: facts.%s has keys outside the contract: %v", name, pkg, got.Keys())
		}
		for _, n := range names {
			g, w := got.Get(ast.StringTerm(n)), refs[pkg].Get(ast.StringTerm(n))
			switch {
			case g == nil && w == nil:
			case g == nil:
				t.Errorf("%s: %s.%s: Go leaves it out, Rego has %v", name, pkg, n, w)
			case w == nil:
				t.Errorf("%s: %s.%s: Go has %v, Rego leaves it undefined", name, pkg, n, g)
			case g.Value.Compare(w.Value) != 0:
				t.Errorf("%s: %s.%s: Go %v, Rego %v", name, pkg, n, g, w)
			}
		}
	}
	with := engine.WithFacts(plain)
	for _, pkg := range []string{"cloudtrail", "iam", "enrich"} {
		a, errA := h.lib(pkg, plain)
		b, errB := h.lib(pkg, with)
		if fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Errorf("%s: data.lib.%s errors differ: without facts %v, with %v", name, pkg, errA, errB)
			continue
		}
		if errA == nil && a.Compare(b) != 0 {
			t.Errorf("%s: data.lib.%s differs with input.facts:\nwithout: %v\nwith:    %v", name, pkg, a, b)
		}
	}
	oa, ob := h.outcome(plain), h.outcome(with)
	if !reflect.DeepEqual(oa, ob) {
		t.Errorf("%s: alerts differ with input.facts:\nwithout: %+v\nwith:    %+v", name, oa, ob)
	}
}

func without(obj ast.Object, key *ast.Term) ast.Object {
	out := ast.NewObject()
	obj.Foreach(func(k, v *ast.Term) {
		if !k.Equal(key) {
			out.Insert(k, v)
		}
	})
	return out
}

// TestDifferentialCorpus compares Go and Rego on every record of the shared corpus and of the
// remediation fixtures.
func TestDifferentialCorpus(t *testing.T) {
	h := getHarness(t)
	n := 0
	for _, path := range testutil.CorpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range event.RecordsBytes(path, raw) {
			if err != nil {
				continue // the corpus holds malformed records on purpose; decoding reports them
			}
			check(t, h, fmt.Sprintf("%s#%d", rec.Origin.File, rec.Origin.Index), rec.Raw)
			n++
		}
	}
	if n < 30 {
		t.Fatalf("only %d corpus records compared", n)
	}
	t.Logf("%d corpus records compared", n)
}

// TestDifferentialSynthetic compares Go and Rego on the synthetic trail's selected IAM
// records (the replay benchmark's).
func TestDifferentialSynthetic(t *testing.T) {
	h := getHarness(t)
	c := synth.Default()
	c.Records, c.Files, c.IAMPercent = 40_000, 4, 10
	if testing.Short() {
		c.Records = 4_000
	}
	n := 0
	for key, raw := range synth.IAMRecords(c) {
		for rec, err := range event.RecordsBytes(key, raw) {
			if err != nil {
				t.Fatal(err)
			}
			if h.engine.Select(rec.EventSource, rec.EventName).Len() == 0 {
				continue
			}
			check(t, h, fmt.Sprintf("%s#%d", rec.Origin.File, rec.Origin.Index), rec.Raw)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no selected synthetic record")
	}
	t.Logf("%d selected synthetic records compared", n)
}
