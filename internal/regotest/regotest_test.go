package regotest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

const policySrc = `package demo

allow if input.user == "alice"

allow if input.user == "root"
`

// The tests sit in two files; b_test.rego sorts after a_test.rego whatever order the tester
// reports them in.
const aTestSrc = `package demo_test

import data.demo

test_allows_alice if {
	print("checking", "alice")
	demo.allow with input as {"user": "alice"}
}

test_denies_bob if {
	demo.allow with input as {"user": "bob"}
}
`

const bTestSrc = `package demo_b_test

test_bad_number if {
	to_number("nope") == 1
}

todo_test_later if {
	false
}
`

func parse(t *testing.T, files map[string]string) map[string]*ast.Module {
	t.Helper()
	mods := map[string]*ast.Module{}
	for name, src := range files {
		m, err := rule.ParseModule(name, src)
		if err != nil {
			t.Fatal(err)
		}
		mods[name] = m
	}
	return mods
}

func TestRunResults(t *testing.T) {
	mods := parse(t, map[string]string{"demo.rego": policySrc, "a_test.rego": aTestSrc, "b_test.rego": bTestSrc})
	results, cov, err := Run(context.Background(), mods, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cov != nil {
		t.Errorf("coverage traced without Options.Coverage")
	}
	if len(mods) != 3 {
		t.Errorf("Run modified the modules map: %d entries", len(mods))
	}
	type want struct {
		file, name string
		line       int
		pass, skip bool
		err        string // substring of Err; "" for none
	}
	wants := []want{
		{"a_test.rego", "test_allows_alice", 5, true, false, ""},
		{"a_test.rego", "test_denies_bob", 10, false, false, ""},
		{"b_test.rego", "test_bad_number", 3, false, false, "to_number"},
		{"b_test.rego", "todo_test_later", 7, false, true, ""},
	}
	if len(results) != len(wants) {
		t.Fatalf("got %d results, want %d: %+v", len(results), len(wants), results)
	}
	for i, w := range wants {
		r := results[i]
		if r.File != w.file || r.Name != w.name || r.Line != w.line || r.Pass != w.pass || r.Skip != w.skip {
			t.Errorf("result %d = %+v, want %+v", i, r, w)
		}
		if (w.err == "") != (r.Err == "") || !strings.Contains(r.Err, w.err) {
			t.Errorf("%s: Err %q, want one naming %q", r.Name, r.Err, w.err)
		}
	}
	if results[0].Package != "data.demo_test" || results[2].Package != "data.demo_b_test" {
		t.Errorf("packages %q, %q", results[0].Package, results[2].Package)
	}
	if got := results[0].Output; got != "checking alice\n" {
		t.Errorf("print output %q, want %q", got, "checking alice\n")
	}
	if results[1].Output != "" {
		t.Errorf("output of a test that prints nothing: %q", results[1].Output)
	}
}

func TestRunCoverage(t *testing.T) {
	mods := parse(t, map[string]string{"demo.rego": policySrc, "a_test.rego": aTestSrc})
	_, cov, err := Run(context.Background(), mods, Options{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	if cov == nil {
		t.Fatal("no coverage with Options.Coverage")
	}
	fr := cov.Report(map[string]*ast.Module{"demo.rego": mods["demo.rego"]}).Files["demo.rego"]
	if fr == nil || fr.CoveredLines == 0 || fr.NotCoveredLines == 0 {
		t.Fatalf("demo.rego coverage %+v, want some lines covered and the root branch not", fr)
	}
	if !fr.IsCovered(3) || fr.IsNotCovered(3) || !fr.IsNotCovered(5) || fr.IsCovered(5) {
		t.Errorf("demo.rego covered %v, not covered %v: want line 3 (alice) covered, line 5 (root) not", fr.Covered, fr.NotCovered)
	}
}

// The tests compile under the engine's capabilities: a denied builtin does not compile.
func TestRunRestrictedCapabilities(t *testing.T) {
	mods := parse(t, map[string]string{"clock_test.rego": "package clock_test\n\ntest_now if time.now_ns() > 0\n"})
	_, _, err := Run(context.Background(), mods, Options{})
	var errs ast.Errors
	if err == nil || !errors.As(err, &errs) || !strings.HasPrefix(err.Error(), "run rego tests: ") || !strings.Contains(err.Error(), "time.now_ns") {
		t.Fatalf("err %v, want the compile errors (wrapped) naming time.now_ns", err)
	}
}

// A test that takes a few hundred milliseconds passes under a generous timeout (a minute:
// the tester's 5s default is not generous on a busy machine) and errors under a 1ms one.
func TestRunTimeout(t *testing.T) {
	src := "package slow_test\n\ntest_slow if count([x | some x in numbers.range(1, 300000); x % 7 == 0]) > 0\n"
	mods := parse(t, map[string]string{"slow_test.rego": src})
	results, _, err := Run(context.Background(), mods, Options{Timeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Pass || !strings.Contains(results[0].Err, "eval_cancel_error") {
		t.Fatalf("results %+v, want the test cut off by its 1ms timeout", results)
	}
	results, _, err = Run(context.Background(), mods, Options{Timeout: time.Minute})
	if err != nil || len(results) != 1 || !results[0].Pass {
		t.Fatalf("1m timeout: %+v %v, want a pass", results, err)
	}
}
