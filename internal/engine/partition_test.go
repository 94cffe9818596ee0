package engine

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// atLeastTwoProcs lets compilePack split a prechecked pack on a one-core machine too, for
// the duration of the test (which asks for two cores, Options.Cores, so that the split does
// not depend on what else the machine runs).
func atLeastTwoProcs(t *testing.T) {
	t.Helper()
	if prev := runtime.GOMAXPROCS(0); prev < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
}

// splitFiles is a pack whose rules fall into four components: A and B share an event, C
// imports D's package, E uses a helper module and a lib module no other rule uses, F uses the
// lib module of the caller.
func splitFiles(extra map[string]string) map[string]string {
	files := map[string]string{
		"lib/cloudtrail.rego": libSrc,
		"a.rego":              ruleSrc("A", "TH-S-001", "iam.amazonaws.com:DeleteUser", "builtin.s.a", `alert contains {"msg": "a"} if input.a == 1`),
		"b.rego":              ruleSrc("B", "TH-S-002", "iam.amazonaws.com:DeleteUser, iam.amazonaws.com:CreateUser", "builtin.s.b", `alert contains {"msg": "b"} if input.b == 1`),
		"c.rego": ruleSrc("C", "TH-S-003", "iam.amazonaws.com:UpdateUser", "builtin.s.c", `import data.builtin.s.d

alert contains {"msg": "c"} if d.flag`),
		"d.rego": ruleSrc("D", "TH-S-004", "iam.amazonaws.com:TagUser", "builtin.s.d", `flag if input.d == 1

alert contains {"msg": "d"} if flag`),
		"e.rego": ruleSrc("E", "TH-S-005", "sts.amazonaws.com:GetCallerIdentity", "builtin.s.e", `import data.builtin.helpers

alert contains {"msg": helpers.word} if {
	input.e == 1
	data.lib.extra.word == "x"
}`),
		"lib/extra.rego": "package lib.extra\n\nword := \"x\"\n",
		"f.rego": ruleSrc("F", "TH-S-006", "iam.amazonaws.com:ListUsers", "builtin.s.f", `import data.lib.cloudtrail

alert contains {"msg": cloudtrail.actor.type} if input.f == 1`),
		"helpers.rego": "package builtin.helpers\n\nword := \"e\"\n",
	}
	for name, src := range extra {
		files[name] = src
	}
	return files
}

func checkedPack(t *testing.T, files map[string]string) *rule.Pack {
	t.Helper()
	p := loadPack(t, "builtin", files)
	p.Checked = true
	return p
}

// partIDs returns the rule ids of each part, each sorted, the parts in order of their first id.
func partIDs(parts []*part) [][]string {
	var out [][]string
	for _, pt := range parts {
		var ids []string
		for _, r := range pt.rules {
			ids = append(ids, r.ID)
		}
		sort.Strings(ids)
		out = append(out, ids)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// TestSplitPack: a prechecked pack is split where nothing joins its rules: rules sharing an
// event, and a rule and the rule whose package it imports, stay in one part; every part holds
// the helper modules and the lib module of the caller, and a lib module only where a rule
// needs it; a reference that could reach any rule, or a helper that refers to a rule, leaves
// the pack whole.
func TestSplitPack(t *testing.T) {
	p := checkedPack(t, splitFiles(nil))
	parts := splitPack(p, p.Lib(), 2)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	seen := map[string]int{}
	for i, pt := range parts {
		for _, name := range []string{"lib/cloudtrail.rego", "helpers.rego"} {
			if pt.modules["builtin/"+name] != p.Modules["builtin/"+name] {
				t.Errorf("part %d lacks %s", i, name)
			}
		}
		hasE := slices.ContainsFunc(pt.rules, func(r *rule.Rule) bool { return r.ID == "TH-S-005" })
		if _, hasExtra := pt.modules["builtin/lib/extra.rego"]; hasExtra != hasE {
			t.Errorf("part %d: holds lib/extra.rego %v, holds its only user %v", i, hasExtra, hasE)
		}
		for _, r := range pt.rules {
			seen[r.ID]++
			if pt.modules[r.File] != p.Modules[r.File] {
				t.Errorf("part %d lacks the module of its rule %s", i, r.ID)
			}
		}
		for name := range pt.modules {
			if r := ruleOfFile(p, name); r != nil && !slices.Contains(pt.rules, r) {
				t.Errorf("part %d holds the module of %s, a rule of another part", i, r.ID)
			}
		}
	}
	for _, r := range p.Rules {
		if seen[r.ID] != 1 {
			t.Errorf("rule %s is in %d parts", r.ID, seen[r.ID])
		}
	}
	together := func(ids ...string) {
		t.Helper()
		for _, part := range partIDs(parts) {
			n := 0
			for _, id := range ids {
				if slices.Contains(part, id) {
					n++
				}
			}
			if n != 0 && n != len(ids) {
				t.Errorf("%v are split: %v", ids, partIDs(parts))
			}
		}
	}
	together("TH-S-001", "TH-S-002") // a shared event
	together("TH-S-003", "TH-S-004") // an import of another rule's package
	// As many compilers as rules: one part per component, A with B, C with D, E and F alone.
	parts = splitPack(p, p.Lib(), len(p.Rules))
	if got := partIDs(parts); !reflect.DeepEqual(got, [][]string{{"TH-S-001", "TH-S-002"}, {"TH-S-003", "TH-S-004"}, {"TH-S-005"}, {"TH-S-006"}}) {
		t.Errorf("components %v", got)
	}

	for name, extra := range map[string]map[string]string{
		"a reference to every rule": {"g.rego": ruleSrc("G", "TH-S-007", "iam.amazonaws.com:GetUser", "builtin.s.g", `alert contains {"msg": "g"} if count(data.builtin.s) > 99`)},
		"a dynamic data reference":  {"g.rego": ruleSrc("G", "TH-S-007", "iam.amazonaws.com:GetUser", "builtin.s.g", `alert contains {"msg": "g"} if data[input.x]`)},
		"a helper using a rule":     {"helpers.rego": "package builtin.helpers\n\nword := \"e\" if data.builtin.s.a.alert\n"},
	} {
		p := checkedPack(t, splitFiles(extra))
		if got := splitPack(p, p.Lib(), 2); len(got) != 1 || len(got[0].rules) != len(p.Rules) || len(got[0].modules) != len(p.Modules) {
			t.Errorf("%s: split into %v, want the whole pack", name, partIDs(got))
		}
	}
	if got := splitPack(p, p.Lib(), 1); len(got) != 1 {
		t.Errorf("one compiler asked for, %d parts", len(got))
	}
}

func ruleOfFile(p *rule.Pack, file string) *rule.Rule {
	for _, r := range p.Rules {
		if r.File == file {
			return r
		}
	}
	return nil
}

// TestSplitPackEvaluatesAlike: the split pack's engine gives, on every event its rules
// declare, what one compiler of the same pack gives, findings and callers; the joint query of
// every part resolves the caller; only a prechecked pack is split.
func TestSplitPackEvaluatesAlike(t *testing.T) {
	atLeastTwoProcs(t)
	split := checkedPack(t, splitFiles(nil))
	whole := loadPack(t, "builtin", splitFiles(nil))
	es, errs := newEngine(t, Options{Lib: split.Lib(), Cores: 2}, split)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ew, errs := newEngine(t, Options{Lib: whole.Lib()}, whole)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(es.packs[split].compilers); n != 2 {
		t.Fatalf("the prechecked pack was compiled on %d compilers, want 2", n)
	}
	if n := len(ew.packs[whole].compilers); n != 1 {
		t.Fatalf("a pack that was not checked at build time was compiled on %d compilers, want 1", n)
	}
	oneCore := checkedPack(t, splitFiles(nil))
	if e1, errs := newEngine(t, Options{Lib: oneCore.Lib(), Cores: 1}, oneCore); len(errs) > 0 || len(e1.packs[oneCore].compilers) != 1 {
		t.Fatalf("with one core: %v, %d compilers, want 1", errs, len(e1.packs[oneCore].compilers))
	}
	assertSelectionsWhole(t, es)
	in, err := ParseInput([]byte(`{"a": 1, "b": 1, "d": 1, "e": 1, "f": 1, "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/a"}}`))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for src, names := range es.Events() {
		for _, name := range names {
			a, aErrs := es.Evaluate(context.Background(), es.Select(src, name), in)
			b, bErrs := ew.Evaluate(context.Background(), ew.Select(src, name), in)
			if len(aErrs)+len(bErrs) > 0 || len(a) != len(b) {
				t.Fatalf("%s:%s: split %v %v, whole %v %v", src, name, a, aErrs, b, bErrs)
			}
			for i := range a {
				if a[i].Rule.ID != b[i].Rule.ID || a[i].Msg != b[i].Msg || !reflect.DeepEqual(a[i].Actor, b[i].Actor) || a[i].Actor == nil {
					t.Errorf("%s:%s: split %+v, whole %+v", src, name, a[i], b[i])
				}
			}
			found += len(a)
		}
	}
	if found < len(split.Rules) {
		t.Fatalf("%d findings over every event, want at least one per rule", found)
	}
}

// assertSelectionsWhole fails when the rules one event selects are on two compilers, or a
// compiler of the pack the lib queries were prepared on cannot resolve the caller jointly.
func assertSelectionsWhole(t *testing.T, e *Engine) {
	t.Helper()
	for src, byName := range e.bySource {
		for name, s := range byName {
			for _, c := range s.rules[1:] {
				if c.Rule.Team == s.rules[0].Rule.Team && c.compiler != s.rules[0].compiler {
					t.Errorf("%s:%s selects %s and %s, on two compilers", src, name, s.rules[0].Rule.ID, c.Rule.ID)
				}
			}
		}
	}
	for _, c := range e.libCompilers {
		if !e.resolvesActor(c) {
			t.Error("a part of the lib's pack does not resolve the caller jointly")
		}
	}
	for _, c := range e.rules {
		if c.Rule.Team == "builtin" && !e.resolvesActor(c.compiler) {
			t.Errorf("rule %s's compiler does not resolve the caller jointly", c.Rule.ID)
		}
	}
}

// TestEmbeddedPackSplit: the embedded pack, as the detector loads it (Checked, its own lib),
// is compiled on two compilers, no event's rules span both, and every rule's joint query
// resolves the caller. TestCheckedPackEvaluatesAlike compares its findings with one compiler's.
func TestEmbeddedPackSplit(t *testing.T) {
	atLeastTwoProcs(t)
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	p.Checked = true
	e, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib(), Cores: 2})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	compilers := e.packs[p].compilers
	if len(compilers) != splitCompilers {
		t.Fatalf("the embedded pack was compiled on %d compilers, want %d", len(compilers), splitCompilers)
	}
	pruned := 0
	for _, c := range compilers {
		pruned += len(p.Lib()) - len(libOf(c))
	}
	if pruned == 0 {
		t.Error("every part compiled the whole lib: the IAM and the tamper rules need different lib modules")
	}
	assertSelectionsWhole(t, e)
	// The lib queries (prepared on the first part) and the caller the joint queries resolve
	// give what one compiler of the whole pack gives, on every corpus record.
	whole, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib(), Cores: 1})
	if len(errs) > 0 || len(whole.packs[p].compilers) != 1 {
		t.Fatalf("one compiler: %v", errs)
	}
	compared := 0
	for _, rec := range comparisonRecords(t) {
		in, err := Input(rec.Raw)
		if err != nil {
			continue
		}
		ctx := context.Background()
		sa, errA := e.Subjects(ctx, in)
		sb, errB := whole.Subjects(ctx, in)
		aa, errC := e.Actor(ctx, in)
		ab, errD := whole.Actor(ctx, in)
		if !reflect.DeepEqual(sa, sb) || !reflect.DeepEqual(aa, ab) || fmt.Sprint(errA, errC) != fmt.Sprint(errB, errD) {
			t.Errorf("%s#%d: split subjects %v %v actor %v %v; whole %v %v, %v %v", rec.Origin.File, rec.Origin.Index, sa, errA, aa, errC, sb, errB, ab, errD)
		}
		compared++
	}
	if compared < 100 {
		t.Fatalf("only %d records compared", compared)
	}
	var ids []string
	for _, r := range e.Rules() {
		ids = append(ids, r.ID)
	}
	var want []string
	for _, r := range p.Rules {
		want = append(want, r.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("rules %v, want %v", ids, want)
	}
}

// libOf returns the lib modules compiled into c.
func libOf(c *ast.Compiler) []string {
	var out []string
	for name, m := range c.Modules {
		if rule.IsLib(m) {
			out = append(out, name)
		}
	}
	return out
}
