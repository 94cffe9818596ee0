package engine

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// TestFindingShape pins how a finding's values reach the alert: target scalars as JSON writes
// them (null left out), the rule's severity unless the finding escalates it, the context as
// Go values, and findings in the alert set's sorted order.
func TestFindingShape(t *testing.T) {
	p := loadPack(t, "p", map[string]string{
		"r.rego": ruleSrc("R", "TH-T-030", "iam.amazonaws.com:DeleteUser", "builtin.t.shape", `
alert contains {"msg": "b", "severity": "CRITICAL", "target": {"n": 12.5, "t": true, "f": false, "z": null, "s": "x", "e": ""}} if true

alert contains {"msg": "a", "context": {"k": [1, "v"], "o": {"p": null}}} if true
`),
	})
	e, errs := newEngine(t, Options{}, p)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in, _ := ParseInput([]byte(`{}`))
	fs, errs := e.Evaluate(context.Background(), e.Select("iam.amazonaws.com", "DeleteUser"), in)
	if len(errs) > 0 || len(fs) != 2 {
		t.Fatalf("findings %+v errs %v", fs, errs)
	}
	a, b := fs[0], fs[1]
	if a.Msg != "a" || a.Index != 0 || a.Of != 2 || a.Severity != rule.Medium || a.Target != nil {
		t.Errorf("first finding %+v", a)
	}
	ctx, _ := json.Marshal(a.Context)
	if string(ctx) != `{"k":[1,"v"],"o":{"p":null}}` {
		t.Errorf("context %s", ctx)
	}
	want := map[string]string{"n": "12.5", "t": "true", "f": "false", "s": "x"}
	if b.Msg != "b" || b.Index != 1 || b.Severity != rule.Critical || !maps.Equal(b.Target, want) {
		t.Errorf("second finding %+v, want target %v", b, want)
	}
}

// TestContextMapMatchesJSON holds contextMap to ast.JSON, which it replaces for the usual
// contexts, and checks it declines what it leaves to ast.JSON.
func TestContextMapMatchesJSON(t *testing.T) {
	for _, src := range []string{
		`{}`,
		`{"a": "x", "b": 1.5, "c": true, "d": null, "e": [], "f": {}, "g": ["r", 2, false, null, {"h": ["i"]}], "j": {"k": {"l": -3}}}`,
		`{"escalation_reasons": ["the caller belongs to another account"], "acted_on_self": false, "window_start": "2026-03-01T10:30:00Z"}`,
	} {
		v := ast.MustParseTerm(src).Value
		got, ok := contextMap(v)
		if !ok {
			t.Fatalf("contextMap(%s) declined", src)
		}
		want, err := ast.JSON(v)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("contextMap(%s) = %#v, want %#v", src, got, want)
		}
	}
	for _, src := range []string{`{1: "x"}`, `{"a": {"b", "c"}}`, `{"a": [{"b": {1: 2}}]}`, `["a"]`} {
		if _, ok := contextMap(ast.MustParseTerm(src).Value); ok {
			t.Errorf("contextMap(%s) converted it; ast.JSON's own conversion is the one to use", src)
		}
	}
}
