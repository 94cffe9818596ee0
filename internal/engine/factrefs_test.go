package engine

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// TestFactRefsFindEveryHybridFact requires the rewrite to recognise every lib fact that reads
// a fact internal/facts writes (so a fact whose form drifts fails here, not silently slower) and to change the
// built-in rules that read facts.
func TestFactRefsFindEveryHybridFact(t *testing.T) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	p.Checked = true // as internal/rule/builtin loads it
	reads := 0
	for _, m := range p.Lib() {
		for _, r := range m.Rules {
			if r.Head.Value == nil {
				continue
			}
			if ref, ok := r.Head.Value.Value.(ast.Ref); ok && ref.HasPrefix(inputFactsRef) && len(ref) == 4 && goWrites(ref) {
				reads++
			}
		}
	}
	found := hybridFacts(p.Lib())
	if len(found) != reads || len(found) < 50 {
		t.Fatalf("%d hybrid facts recognised, %d lib rules read input.facts", len(found), reads)
	}
	e, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib()})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rewritten := 0
	for _, c := range e.rules {
		if c.factRefs {
			rewritten++
		}
	}
	if rewritten < len(e.rules)/2 {
		t.Fatalf("%d of %d built-in rules read the facts directly", rewritten, len(e.rules))
	}
	team := loadPack(t, "payments", map[string]string{"r.rego": ruleSrc("Root", "PAY-1", "iam.amazonaws.com:CreateUser", "teams.payments.r",
		"import data.lib.cloudtrail as ct\n\nalert contains {\"msg\": \"x\"} if ct.root\n")})
	et, errs := New(context.Background(), []*rule.Pack{p, team}, Options{Lib: p.Lib()})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, c := range et.rules {
		if c.Rule.ID == "PAY-1" && c.factRefs {
			t.Fatal("a team pack's rule was rewritten; team packs are compiled as written")
		}
	}
	unchecked, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	eu, errs := New(context.Background(), []*rule.Pack{unchecked}, Options{Lib: unchecked.Lib()})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, c := range eu.rules {
		if c.factRefs {
			t.Fatal("a pack the build did not check was rewritten; only the embedded pack is")
		}
	}
}

// eventTimeField finds a record's eventTime, which the test replaces with one the RFC 3339
// pattern lets through and no calendar has: facts.Compute declines the record, and the lib's
// Rego raises its builtin error.
var eventTimeField = regexp.MustCompile(`"eventTime":"[^"]*"`)

// TestFactRefsEvaluateAsWritten evaluates the built-in pack, whose rules read the facts
// directly, and the same pack compiled as written, on every corpus record and the IAM records
// of a synthetic trail: with input.facts (what the detector evaluates), without it (a bare
// record), and with an impossible eventTime that facts.Compute declines. Findings, callers
// and errors must be the same each time.
func TestFactRefsEvaluateAsWritten(t *testing.T) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	p.Checked = true // as internal/rule/builtin loads it
	opts := Options{Lib: p.Lib(), Deadline: 10 * time.Minute}
	e, errs := New(context.Background(), []*rule.Pack{p}, opts)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	opts.asWritten = true
	w, errs := New(context.Background(), []*rule.Pack{p}, opts)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if e.actorExpr != "input.facts.cloudtrail.actor" || w.actorExpr != ActorQuery {
		t.Fatalf("the caller is read from %s (rewritten) and %s (as written)", e.actorExpr, w.actorExpr)
	}
	recs := comparisonRecords(t)
	findings, declined, reference, actors := 0, 0, 0, 0
	for _, rec := range recs {
		sel, wsel := e.Select(rec.EventSource, rec.EventName), w.Select(rec.EventSource, rec.EventName)
		bad := eventTimeField.ReplaceAll(rec.Raw, []byte(`"eventTime":"2024-02-30T10:00:00Z"`))
		inputs := map[string]func() (ast.Value, error){
			"with facts": func() (ast.Value, error) { return Input(rec.Raw) },
			"bare":       func() (ast.Value, error) { return ParseInput(rec.Raw) },
			"declined":   func() (ast.Value, error) { return Input(bad) },
		}
		for kind, input := range inputs {
			in, err := input()
			if err != nil {
				t.Fatalf("%s: %v", rec.Origin, err)
			}
			if kind == "declined" && hasFacts(in) {
				continue // no eventTime to make impossible
			}
			if !hasFacts(in) {
				reference++
				if kind == "declined" {
					declined++
				}
			}
			// The lib queries: the caller (read from input.facts in e, by the reference copy
			// without them) and the subjects.
			gotA, errA := e.Actor(context.Background(), in)
			wantA, werrA := w.Actor(context.Background(), in)
			if !reflect.DeepEqual(gotA, wantA) || fmt.Sprint(errA) != fmt.Sprint(werrA) {
				t.Fatalf("%s (%s): the caller differs: got %v %v, want %v %v", rec.Origin, kind, gotA, errA, wantA, werrA)
			}
			if len(gotA) > 0 {
				actors++
			}
			gotS, errS := e.Subjects(context.Background(), in)
			wantS, werrS := w.Subjects(context.Background(), in)
			if !reflect.DeepEqual(gotS, wantS) || fmt.Sprint(errS) != fmt.Sprint(werrS) {
				t.Fatalf("%s (%s): the subjects differ: got %v %v, want %v %v", rec.Origin, kind, gotS, errS, wantS, werrS)
			}
			if sel.Len() == 0 {
				continue
			}
			gotF, gotE := e.Evaluate(context.Background(), sel, in)
			wantF, wantE := w.Evaluate(context.Background(), wsel, in)
			if !reflect.DeepEqual(gotF, wantF) || fmt.Sprint(gotE) != fmt.Sprint(wantE) {
				t.Fatalf("%s (%s): the pack reading facts directly differs from the pack as written:\n got %+v %v\nwant %+v %v", rec.Origin, kind, gotF, gotE, wantF, wantE)
			}
			findings += len(gotF)
		}
	}
	if findings < 100 || declined < 10 || reference < 100 || actors < 100 {
		t.Fatalf("only %d findings, %d declined records, %d records without facts, %d callers: the comparison proves little", findings, declined, reference, actors)
	}
}
