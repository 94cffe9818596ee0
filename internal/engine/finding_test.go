package engine

import (
	"context"
	"encoding/json"
	"maps"
	"testing"

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
