package engine

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/rule/builtin"
	"github.com/trailhound/trailhound/rules"
)

// benchEngine compiles the built-in pack as the detector does.
func benchEngine(b testing.TB) *Engine {
	b.Helper()
	return benchEngineWith(b, Options{})
}

// benchEngineWith is benchEngine with opts (the lib is added).
func benchEngineWith(b testing.TB, opts Options) *Engine {
	b.Helper()
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		b.Fatal(err)
	}
	// As the detector loads it (internal/rule/builtin): the pack rules/rules_test.go compiles
	// with every check, so its rules read the derived facts directly (factrefs.go).
	p.Checked = true
	lib := p.Lib()
	opts.Lib = lib
	e, errs := New(context.Background(), []*rule.Pack{p}, opts)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	return e
}

// selectedIAM returns the IAM records of a synthetic trail that some built-in rule selects,
// split by whether they raise a finding.
func selectedIAM(b testing.TB, e *Engine) (quiet, alerting []event.Record) {
	b.Helper()
	c := synth.Default()
	c.Records, c.Files, c.IAMPercent = 40_000, 4, 10
	for key, raw := range synth.IAMRecords(c) {
		for rec, err := range event.RecordsBytes(key, raw) {
			if err != nil {
				b.Fatal(err)
			}
			sel := e.Select(rec.EventSource, rec.EventName)
			if sel.Len() == 0 {
				continue
			}
			in, err := Input(rec.Raw)
			if err != nil {
				b.Fatal(err)
			}
			fs, errs := e.Evaluate(context.Background(), sel, in)
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			if len(fs) > 0 {
				alerting = append(alerting, rec)
			} else {
				quiet = append(quiet, rec)
			}
		}
	}
	return quiet, alerting
}

// BenchmarkEvaluate measures one selected IAM record through the full built-in pack: parse
// the record into the Rego input, evaluate every rule its event name selects and, when some
// rule alerts, resolve the caller for the alert (the joint query does it; see batch.go).
// "mixed" cycles through the 3,287 selected IAM records of a synthetic trail, of which 1,951
// (59%) raise a finding, so its median is an alerting record's; "quiet" and "alerting" split
// them. It reports per event the mean and median wall
// time (ns/event, ns-p50/event), the median CPU time of the evaluating thread
// (cpu-ns-p50/event, Linux only: on a loaded machine wall time also counts other processes)
// and allocations.
func BenchmarkEvaluate(b *testing.B) {
	e := benchEngine(b)
	quiet, alerting := selectedIAM(b, e)
	mixed := append(slices.Clone(quiet), alerting...)
	for _, set := range []struct {
		name string
		recs []event.Record
	}{{"mixed", mixed}, {"quiet", quiet}, {"alerting", alerting}} {
		b.Run(set.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ctx := context.Background()
			walls := make([]time.Duration, 0, 1<<16)
			cpus := make([]time.Duration, 0, 1<<16)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			n := 0
			for b.Loop() {
				rec := set.recs[n%len(set.recs)]
				n++
				c0, cpuOK := threadCPU()
				t0 := time.Now()
				in, err := Input(rec.Raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, errs := e.Evaluate(ctx, e.Select(rec.EventSource, rec.EventName), in); len(errs) > 0 {
					b.Fatal(errs)
				}
				if len(walls) < cap(walls) {
					walls = append(walls, time.Since(t0))
					if c1, ok := threadCPU(); ok && cpuOK {
						cpus = append(cpus, c1-c0)
					}
				}
			}
			runtime.ReadMemStats(&m1)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
			b.ReportMetric(float64(p50(walls).Nanoseconds()), "ns-p50/event")
			if len(cpus) > 0 {
				b.ReportMetric(float64(p50(cpus).Nanoseconds()), "cpu-ns-p50/event")
			}
			b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(n), "allocs/event")
		})
	}
}

func p50(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// BenchmarkNewEmbedded measures New on the built-in pack as the detector compiles it (its
// rules reading input.facts directly, the lib rules nothing reaches left out, split over two
// compilers with two cores): the compile on a cold start's critical path. The pack is parsed
// once, outside the loop; each compile works on its own copies of the modules.
func BenchmarkNewEmbedded(b *testing.B) {
	p, err := builtin.Load() // as the detector loads it: checked, its annotations read at build time
	if err != nil {
		b.Fatal(err)
	}
	for _, cores := range []int{1, 2} {
		b.Run(map[int]string{1: "one-core", 2: "two-cores"}[cores], func(b *testing.B) {
			if cores > runtime.GOMAXPROCS(0) {
				b.Skip("needs GOMAXPROCS of at least 2")
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, errs := New(context.Background(), []*rule.Pack{p}, Options{Lib: p.Lib(), Cores: cores}); len(errs) > 0 {
					b.Fatal(errs)
				}
			}
		})
	}
}
