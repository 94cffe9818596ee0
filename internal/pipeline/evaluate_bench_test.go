package pipeline

import (
	"context"
	"testing"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/rules"
)

// BenchmarkEvaluate measures the evaluate stage of the pipeline for the IAM records of a
// synthetic trail that some built-in rule selects: the rule set's selection, then the one
// call into the engine (parse, rules, the caller when some rule alerts). allocs/op is per
// record.
func BenchmarkEvaluate(b *testing.B) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		b.Fatal(err)
	}
	eng, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Lib()})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	pl := &Pipeline{Rules: ruleset.FromEngine(eng)}
	var recs []event.Record
	c := synth.Default()
	c.Records, c.Files, c.IAMPercent = 20_000, 4, 10
	for key, raw := range synth.IAMRecords(c) {
		for rec, err := range event.RecordsBytes(key, raw) {
			if err != nil {
				b.Fatal(err)
			}
			if pl.Wants(&rec.Header) {
				recs = append(recs, rec)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if ev := pl.Evaluate(context.Background(), recs[i]); len(ev.res.Errs) > 0 {
			b.Fatal(ev.res.Errs)
		}
		if i++; i == len(recs) {
			i = 0
		}
	}
}
