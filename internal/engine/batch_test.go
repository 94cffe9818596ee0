package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
)

// TestBatchMatchesOneByOne evaluates the built-in pack on every corpus record and on the IAM
// records of a synthetic trail twice: jointly (a Select result) and rule by rule (a copy of
// it, which Evaluate does not recognise), and requires the same findings and errors, and a
// caller resolved jointly that is the one Engine.Actor resolves.
func TestBatchMatchesOneByOne(t *testing.T) {
	// A deadline no evaluation comes near, however busy the machine: the comparison is of
	// results, and a joint evaluation cut by the deadline would fall back (TestBatchFallsBackPerRule).
	e := benchEngineWith(t, Options{Deadline: 10 * time.Minute})
	recs := comparisonRecords(t)
	joint, findings, actors := 0, 0, 0
	for _, rec := range recs {
		sel := e.Select(rec.EventSource, rec.EventName)
		if sel.Len() == 0 {
			continue
		}
		in, err := Input(rec.Raw) // as EvaluateRecord builds it: with input.facts
		if err != nil {
			t.Fatal(err)
		}
		gotF, gotE := e.Evaluate(context.Background(), sel, in)
		wantF, wantE := e.Evaluate(context.Background(), e.OneByOne(sel.Rules()), in)
		if len(gotF) > 0 {
			// The joint query resolves the caller along with the rules; one by one, it is
			// left to Engine.Actor. Both must give the same actor.
			want, err := e.Actor(context.Background(), in)
			for _, f := range gotF {
				if err != nil || !reflect.DeepEqual(f.Actor, want) {
					t.Fatalf("%s: joint actor %v, Engine.Actor %v (%v)", rec.Origin, f.Actor, want, err)
				}
			}
			actors++
		}
		for i := range gotF {
			gotF[i].Actor = nil
		}
		for _, f := range wantF {
			if f.Actor != nil {
				t.Fatalf("%s: rule-by-rule finding carries an actor", rec.Origin)
			}
		}
		if !reflect.DeepEqual(gotF, wantF) || fmt.Sprint(gotE) != fmt.Sprint(wantE) {
			t.Fatalf("%s: joint evaluation differs:\n got %v %v\nwant %v %v", rec.Origin, gotF, gotE, wantF, wantE)
		}
		if sel.Len() > 1 && (sel.s == nil || sel.s.batches[0].query == nil) {
			t.Fatalf("%s %s: %d rules selected but no joint query", rec.EventSource, rec.EventName, sel.Len())
		}
		if sel.Len() > 1 {
			joint++
		}
		findings += len(gotF)
	}
	if joint < 100 || findings < 100 || actors < 100 {
		t.Fatalf("only %d joint evaluations, %d findings, %d actors: the comparison proves little", joint, findings, actors)
	}
}

// TestBatchFallsBackPerRule covers the joint query's failure modes: an undefined alert, a
// rule error and a rule past the deadline each leave the other rules' findings standing and
// are reported exactly as rule-by-rule evaluation reports them.
func TestBatchFallsBackPerRule(t *testing.T) {
	const ev = "iam.amazonaws.com:DeleteUser"
	good := ruleSrc("Good", "TH-T-031", ev, "builtin.t.good", `alert contains {"msg": "fine"} if true`)
	cases := map[string]struct {
		body    string
		input   string
		wantErr string
		want    []string
	}{
		"undefined alert":  {`alert := {{"msg": "complete"}} if input.x == 1`, `{"x": 2}`, "", []string{"fine"}},
		"defined complete": {`alert := {{"msg": "complete"}} if input.x == 1`, `{"x": 1}`, "", []string{"complete", "fine"}},
		"builtin error":    {`alert contains {"msg": sprintf("%d", [to_number(input.x)])} if true`, `{"x": "nan"}`, "TH-T-030", []string{"fine"}},
		"deadline": {`alert contains {"msg": "slow"} if {
	` + endless + `
}`, `{}`, "deadline", []string{"fine"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadPack(t, "p", map[string]string{
				"a.rego": ruleSrc("A", "TH-T-030", ev, "builtin.t.a", tc.body),
				"b.rego": good,
			})
			// The endless rule never finishes; the others take well under a millisecond, so
			// a generous deadline cuts only the endless one, however busy the machine.
			e, errs := newEngine(t, Options{Deadline: generousDeadline}, p)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			in, _ := ParseInput([]byte(tc.input))
			sel := e.Select("iam.amazonaws.com", "DeleteUser")
			fs, errs := e.Evaluate(context.Background(), sel, in)
			if sel.s.batches[0].query == nil {
				t.Fatal("no joint query prepared")
			}
			var msgs []string
			for _, f := range fs {
				msgs = append(msgs, f.Msg)
			}
			if !slices.Equal(msgs, tc.want) {
				t.Fatalf("findings %v, want %v", msgs, tc.want)
			}
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Fatalf("errors %v", errs)
			case tc.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.wantErr)):
				t.Fatalf("errors %v, want one mentioning %s", errs, tc.wantErr)
			}
		})
	}
}

// TestBatchParts evaluates parts of a selection spanning two packs (Without, as the pipeline
// leaves out disabled rules and team rules over the input limit): a part holding whole packs
// is evaluated jointly, a pack cut by the part rule by rule, and every part gives what
// rule-by-rule evaluation gives. A Selection handed on by value (copied, stored, narrowed)
// keeps its joint queries: a refactor that loses them fails here.
func TestBatchParts(t *testing.T) {
	const ev = "iam.amazonaws.com:DeleteUser"
	pack := func(name string) *rule.Pack {
		return loadPack(t, name, map[string]string{
			"x.rego": ruleSrc("X", "TH-"+strings.ToUpper(name)+"-001", ev, "teams."+name+".x", `alert contains {"msg": "x"} if input.a == 1`),
			"y.rego": ruleSrc("Y", "TH-"+strings.ToUpper(name)+"-002", ev, "teams."+name+".y", `alert contains {"msg": sprintf("y %v", [input.a])} if true`),
		})
	}
	e, errs := newEngine(t, Options{}, pack("a"), pack("b"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	joint := 0
	e.onJoint = func() { joint++ }
	sel := e.Select("iam.amazonaws.com", "DeleteUser")
	if sel.Len() != 4 {
		t.Fatalf("selected %d rules", sel.Len())
	}
	ids := func(s Selection) []string {
		var out []string
		for _, c := range s.Rules() {
			out = append(out, c.Rule.ID)
		}
		return out
	}
	in, _ := ParseInput([]byte(`{"a": 1}`))
	for _, tc := range []struct {
		leave []string
		joint int // packs evaluated jointly
	}{
		{nil, 2},
		{[]string{"TH-B-001", "TH-B-002"}, 1},
		{[]string{"TH-A-001", "TH-A-002"}, 1},
		{[]string{"TH-A-001", "TH-B-002"}, 0},
		{[]string{"TH-A-001", "TH-A-002", "TH-B-001"}, 0},
	} {
		part := sel.Without(func(r *rule.Rule) bool { return slices.Contains(tc.leave, r.ID) })
		held := []Selection{part} // handed on by value, as the pipeline does
		part = held[0]
		if part.Len() != 4-len(tc.leave) || slices.ContainsFunc(ids(part), func(id string) bool { return slices.Contains(tc.leave, id) }) {
			t.Fatalf("without %v: selected %v", tc.leave, ids(part))
		}
		joint = 0
		got, gotErrs := e.Evaluate(context.Background(), part, in)
		if joint != tc.joint {
			t.Fatalf("without %v: %d packs evaluated jointly, want %d", tc.leave, joint, tc.joint)
		}
		want, wantErrs := e.Evaluate(context.Background(), e.OneByOne(part.Rules()), in)
		if !reflect.DeepEqual(got, want) || len(gotErrs)+len(wantErrs) > 0 || len(got) != part.Len() {
			t.Fatalf("without %v: %v %v, want %v %v", tc.leave, got, gotErrs, want, wantErrs)
		}
	}
	if joint = 0; len(sel.Rules()) == 4 {
		e.Evaluate(context.Background(), e.OneByOne(sel.Rules()), in)
		if joint != 0 {
			t.Fatal("a OneByOne selection was evaluated jointly")
		}
	}
}

// TestJointActor covers the caller resolved along with the rules: findings of a joint
// evaluation carry the lib's actor; when the actor fails (a builtin error), the rules are
// evaluated one by one, their findings stand without it, and Engine.Actor reports the error.
func TestJointActor(t *testing.T) {
	const ev = "iam.amazonaws.com:DeleteUser"
	p := loadPack(t, "p", map[string]string{
		"a.rego": ruleSrc("A", "TH-T-040", ev, "builtin.t.a", `alert contains {"msg": "a"} if input.alert`),
		"b.rego": ruleSrc("B", "TH-T-041", ev, "builtin.t.b", `alert contains {"msg": "b"} if to_number(input.b) < 0`),
	})
	lib := loadPack(t, "lib", map[string]string{"lib/cloudtrail.rego": "package lib.cloudtrail\n\nactor := {\"n\": to_number(input.n)}\n"})
	e, errs := newEngine(t, Options{Lib: lib.Modules}, p)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	sel := e.Select("iam.amazonaws.com", "DeleteUser")
	for _, tc := range []struct {
		input     string
		findings  int
		ruleErrs  int
		wantActor map[string]any
	}{
		{`{"alert": true, "n": "7", "b": "1"}`, 1, 0, map[string]any{"n": json.Number("7")}},
		{`{"alert": true, "n": "x", "b": "1"}`, 1, 0, nil},
		{`{"alert": false, "n": "7", "b": "1"}`, 0, 0, nil},
		// Rule B errors: the joint query fails and the rules are evaluated one by one; A's
		// finding still carries the caller, resolved on its own.
		{`{"alert": true, "n": "7", "b": "x"}`, 1, 1, map[string]any{"n": json.Number("7")}},
	} {
		in, err := ParseInput([]byte(tc.input))
		if err != nil {
			t.Fatal(err)
		}
		fs, errs := e.Evaluate(context.Background(), sel, in)
		if len(errs) != tc.ruleErrs || len(fs) != tc.findings {
			t.Fatalf("%s: findings %v errors %v", tc.input, fs, errs)
		}
		if !sel.s.batches[0].withActor {
			t.Fatal("the pack carrying the lib has no joint actor")
		}
		for _, f := range fs {
			if !reflect.DeepEqual(f.Actor, tc.wantActor) {
				t.Fatalf("%s: actor %v, want %v", tc.input, f.Actor, tc.wantActor)
			}
		}
		if tc.findings > 0 && tc.wantActor == nil {
			if _, err := e.Actor(context.Background(), in); err == nil || !strings.Contains(err.Error(), "to_number") {
				t.Fatalf("%s: Engine.Actor error %v, want the to_number error", tc.input, err)
			}
		}
	}
}

// generousDeadline is the engine deadline of tests that need one to cut an endless rule: far
// above what any other rule takes, however busy the machine.
const generousDeadline = 3 * time.Second

// endless is a rule body that runs until its deadline cancels it (8e9 iterations, no memory).
const endless = `some i in numbers.range(1, 2000)
	some j in numbers.range(1, 2000)
	some k in numbers.range(1, 2000)
	i + j + k < 0`

// TestDeadlineFallbackKeepsActor cuts a joint evaluation with the deadline: the endless rule
// is a counted rule error naming the deadline, and the other rule's finding is complete, the
// caller included (it used to lose it when the joint query missed its deadline).
func TestDeadlineFallbackKeepsActor(t *testing.T) {
	const ev = "iam.amazonaws.com:DeleteUser"
	p := loadPack(t, "p", map[string]string{
		"a.rego": ruleSrc("A", "TH-T-050", ev, "builtin.t.a", `alert contains {"msg": "a"} if true`),
		"b.rego": ruleSrc("B", "TH-T-051", ev, "builtin.t.b", "alert contains {\"msg\": \"b\"} if {\n\t"+endless+"\n}"),
	})
	lib := loadPack(t, "lib", map[string]string{"lib/cloudtrail.rego": "package lib.cloudtrail\n\nactor := {\"arn\": input.arn}\n"})
	e, errs := newEngine(t, Options{Lib: lib.Modules, Deadline: generousDeadline}, p)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in, _ := ParseInput([]byte(`{"arn": "arn:aws:iam::111122223333:user/alice"}`))
	sel := e.Select("iam.amazonaws.com", "DeleteUser")
	fs, errs := e.Evaluate(context.Background(), sel, in)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "TH-T-051") || !strings.Contains(errs[0].Error(), "deadline") {
		t.Fatalf("errors %v, want TH-T-051's deadline", errs)
	}
	want := map[string]any{"arn": "arn:aws:iam::111122223333:user/alice"}
	if len(fs) != 1 || fs[0].Msg != "a" || !reflect.DeepEqual(fs[0].Actor, want) {
		t.Fatalf("findings %+v, want A's with actor %v", fs, want)
	}
}
