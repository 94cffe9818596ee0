package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/state"
)

// TestSettleOfDecodedCandidatesMatchesDeliver runs the same records two ways: Deliver, and
// Prepare on one pipeline, the candidates through JSON, then Settle on another pipeline (what a
// backtest's map and reduce do). Results, outcome counts, reasons, errors and the delivered
// alerts (dedup updates and threshold alerts included) are the same.
func TestSettleOfDecodedCandidatesMatchesDeliver(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return base.Add(time.Hour) }
	recs := burst()
	for i := range 3 {
		recs = append(recs, evt("UpdateAccessKey", "mallory", "bob", fmt.Sprintf("d%d", i), float64(5*i)))
	}
	recs = append(recs, recs[0]) // a duplicate delivery
	bad := evt("UpdateAccessKey", "mallory", "bob", "bad", 1)
	bad.Raw = []byte(`{"eventSource": 1`) // selected, but does not parse
	recs = append(recs, bad)

	var directErrs, splitErrs []string
	directSink, splitSink := &recordingSink{}, &recordingSink{}
	direct := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: directSink, Idempotency: state.NewMemory(), Windows: state.NewMemoryWindows(), Now: now,
		OnError: func(err error) { directErrs = append(directErrs, err.Error()) }}
	mapper := &Pipeline{Rules: rulesOf(windowEngine(t)), Now: now} // no sink, no state: Prepare needs none
	reducer := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: splitSink, Idempotency: state.NewMemory(), Windows: state.NewMemoryWindows(), Now: now,
		OnError: func(err error) { splitErrs = append(splitErrs, err.Error()) }}
	for i, rec := range recs {
		want := direct.Process(ctx, rec)
		b, err := json.Marshal(mapper.Prepare(mapper.Evaluate(ctx, rec)))
		if err != nil {
			t.Fatal(err)
		}
		var c Candidate
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("record %d: decode %s: %v", i, b, err)
		}
		got := reducer.Settle(ctx, &c)
		if got.Outcome != want.Outcome || fmt.Sprint(got.Reasons) != fmt.Sprint(want.Reasons) || len(got.Alerts) != len(want.Alerts) || len(got.Updates) != len(want.Updates) {
			t.Errorf("record %d: split %v %v %d+%d, direct %v %v %d+%d", i, got.Outcome, got.Reasons, len(got.Alerts), len(got.Updates), want.Outcome, want.Reasons, len(want.Alerts), len(want.Updates))
		}
	}
	if direct.Counts.Summary() != reducer.Counts.Summary() {
		t.Errorf("counts: split %q, direct %q", reducer.Counts.Summary(), direct.Counts.Summary())
	}
	if fmt.Sprint(directErrs) != fmt.Sprint(splitErrs) || len(directErrs) == 0 {
		t.Errorf("errors: split %q, direct %q", splitErrs, directErrs)
	}
	if len(directSink.alerts) < 4 || len(directSink.alerts) != len(splitSink.alerts) {
		t.Fatalf("delivered: split %d, direct %d", len(splitSink.alerts), len(directSink.alerts))
	}
	for i := range directSink.alerts {
		a, _ := alert.JSON(directSink.alerts[i])
		b, _ := alert.JSON(splitSink.alerts[i])
		if string(a) != string(b) {
			t.Errorf("alert %d differs:\nsplit  %s\ndirect %s", i, b, a)
		}
	}
}

func TestCandidateDecodeRefusesBadOutcomes(t *testing.T) {
	for _, in := range []string{`{"outcome":"alerted"}`, `{"outcome":"bogus"}`, `{"outcome":"no_match","alerts":[{}]}`, `[]`} {
		var c Candidate
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("%s: decoded", in)
		}
	}
	c := MalformedCandidate(&event.DecodeError{Origin: event.Origin{File: "f.json", Index: 3}, Err: fmt.Errorf("bad")})
	p := &Pipeline{Rules: rulesOf(windowEngine(t))}
	if r := p.Settle(context.Background(), c); r.Outcome != Malformed || p.Counts.Get(Malformed) != 1 || c.Origin.File != "f.json" {
		t.Fatalf("malformed candidate: %+v, %s", r, p.Counts.Summary())
	}
}
