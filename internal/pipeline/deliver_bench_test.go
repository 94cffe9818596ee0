//go:build unix

package pipeline

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/rules"
)

// raiseAll is a window store where every event raises its own alert, so a benchmark can
// deliver the same records again and again on the path of a first event. It keeps values as
// MemoryWindows does (state.ValueKeeper): the path of scan and replay.
type raiseAll struct{}

func (raiseAll) KeepsValues() bool { return true }

func (raiseAll) Observe(_ context.Context, s state.Spec, ev state.Event) (state.Decision, error) {
	inc := state.Incident{ID: ev.ID, Start: ev.Time, End: ev.Time.Add(s.Window), Count: 1, FirstSeen: ev.Time, LastSeen: ev.Time,
		Payload: ev.Payload, Value: ev.Value, Events: []state.Event{ev}}
	return state.Decision{Action: state.Raise, Incident: inc}, nil
}

// BenchmarkDeliver measures the delivery goroutine's work for the alerting records of a
// synthetic trail (internal/bench/synth, as `make bench`) through the built-in pack: Deliver
// of an evaluated record (alert.Build, the window store's payload, the JSON Lines sink to
// io.Discard, counts). Windows always raise (raiseAll), so every iteration takes a first
// event's path. ns/op, cpu-ns/op (process CPU, GC included) and allocs/op are per record;
// alerts/op says how many alerts a record delivers on average.
func BenchmarkDeliver(b *testing.B) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		b.Fatal(err)
	}
	eng, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Lib()})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	out, err := sink.NewWriter(io.Discard, sink.JSON)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	pl := &Pipeline{Rules: rulesOf(eng), Sink: out, Windows: raiseAll{}, Now: func() time.Time { return now }}
	var evs []*Evaluated
	c := synth.Default()
	c.Records, c.Files, c.IAMPercent = 20_000, 4, 10
	for key, raw := range synth.IAMRecords(c) {
		for rec, err := range event.RecordsBytes(key, raw) {
			if err != nil {
				b.Fatal(err)
			}
			if ev := pl.Evaluate(context.Background(), rec); len(ev.eval.Findings) > 0 && len(ev.ruleErrs) == 0 {
				evs = append(evs, ev)
			}
		}
	}
	if len(evs) == 0 {
		b.Fatal("no alerting records")
	}
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	alerts := pl.Counts.Alerts()
	i := 0
	for b.Loop() {
		if res := pl.Deliver(context.Background(), evs[i]); res.Outcome != Alerted {
			b.Fatalf("outcome %s: %v", res.Outcome, res.Errs)
		}
		if i++; i == len(evs) {
			i = 0
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(pl.Counts.Alerts()-alerts)/float64(b.N), "alerts/op")
}
