package engine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// TestCheckedPackEvaluatesAlike compiles the built-in pack with every check on one compiler
// and as a Checked pack (the check-only stages skipped, split over two compilers,
// partition.go) and requires the same findings, errors and callers on every corpus record and
// the selected records of a synthetic trail.
func TestCheckedPackEvaluatesAlike(t *testing.T) {
	atLeastTwoProcs(t)
	full := benchEngine(t)
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	p.Checked = true
	skipped, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib(), Cores: 2})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if n := len(skipped.packs[p].compilers); n < 2 {
		t.Fatalf("the Checked pack was compiled on %d compiler, not split", n)
	}
	compared := 0
	for _, rec := range comparisonRecords(t) {
		in, err := Input(rec.Raw)
		if err != nil {
			continue
		}
		a, b := outcomeOf(full, rec, in), outcomeOf(skipped, rec, in)
		if a != b {
			t.Errorf("%s#%d: with every check %s\nchecks skipped %s", rec.Origin.File, rec.Origin.Index, a, b)
		}
		compared++
	}
	if compared < 100 {
		t.Fatalf("only %d records compared", compared)
	}
}

// comparisonRecords are the records two engines of the same pack are compared on: every
// corpus record and the IAM records of a small synthetic trail.
func comparisonRecords(t *testing.T) []event.Record {
	t.Helper()
	var recs []event.Record
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for rec, err := range event.RecordsBytes(f, b) {
			if err == nil {
				recs = append(recs, rec)
			}
		}
	}
	c := synth.Default()
	c.Records, c.Files, c.IAMPercent = 4000, 4, 10
	for key, raw := range synth.IAMRecords(c) {
		for rec, err := range event.RecordsBytes(key, raw) {
			if err == nil {
				recs = append(recs, rec)
			}
		}
	}
	return recs
}

func outcomeOf(e *Engine, rec event.Record, in ast.Value) string {
	ctx := context.Background()
	fs, errs := e.Evaluate(ctx, e.Select(rec.EventSource, rec.EventName), in)
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s|%s|%v|%s|%v|%v\n", f.Rule.ID, f.Msg, f.Target, f.Severity, f.Context, f.Actor)
	}
	for _, err := range errs {
		fmt.Fprintf(&b, "error %v\n", err)
	}
	return b.String()
}

// TestChecksSkippedOnlyForCheckedPack: a type error in a pack is a load error unless the pack
// is Checked and compiled with its own lib; with any other lib (a team pack's compile) every
// check runs.
func TestChecksSkippedOnlyForCheckedPack(t *testing.T) {
	const bad = `# METADATA
# title: Bad types
# custom:
#   id: TH-T-001
#   severity: LOW
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   remediation:
#     summary: None.
package builtin.t.bad

alert contains {"msg": "x"} if {
	input.eventName == "UpdateAccessKey"
	x := 1
	x == "one"
}
`
	load := func(checked bool) *rule.Pack {
		p, err := rule.Load("t", "builtin", "rules", fstest.MapFS{
			"bad.rego":    {Data: []byte(bad)},
			"lib/ct.rego": {Data: []byte("package lib.cloudtrail\n\nactor := {\"type\": input.userIdentity.type}\n")},
		})
		if err != nil {
			t.Fatal(err)
		}
		p.Checked = checked
		return p
	}
	if _, errs := New(context.Background(), []*rule.Pack{load(false)}, Options{Lib: load(false).Lib()}); len(errs) == 0 {
		t.Fatal("an unchecked pack with a type error compiled")
	}
	p := load(true)
	if _, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib()}); len(errs) > 0 {
		t.Fatalf("a Checked pack with its own lib must skip the check-only stages: %v", errs)
	}
	other := load(false).Lib() // the same modules parsed again: another lib
	if _, errs := New(context.Background(), []*rule.Pack{load(true)}, Options{Lib: other}); len(errs) == 0 {
		t.Fatal("a Checked pack compiled with another lib skipped the checks")
	}
}
