package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/state"
)

// encodedWindows is MemoryWindows without ValueKeeper: the pipeline then keeps each dedup
// window's alert as compressed JSON, as it does with a store outside the process.
type encodedWindows struct{ *state.MemoryWindows }

func (encodedWindows) KeepsValues() bool { return false }

// TestDedupKeptValueMatchesJSON checks that keeping a dedup window's alert as a value (the
// in-memory store) delivers byte for byte what keeping it as JSON delivers, and that neither
// the delivered alerts nor later re-deliveries change the kept alert.
func TestDedupKeptValueMatchesJSON(t *testing.T) {
	ctx := context.Background()
	run := func(w Windows) []string {
		sink := &recordingSink{}
		p := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: sink, Idempotency: state.NewMemory(), Enricher: &mfaEnricher{}, Windows: w}
		var out []string
		for i, m := range []float64{0, 10, 20, 5, 70, 75} {
			seen := len(sink.alerts)
			p.Process(ctx, evt("UpdateAccessKey", "mallory", "bob", fmt.Sprint("e", i), m))
			for _, a := range sink.alerts[seen:] {
				a.CreatedAt = time.Time{} // the wall clock
				b, err := alert.JSON(a)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, string(b))
				// A later step changing what was delivered must not reach the kept alert.
				a.Context["delivered"] = true
				a.Target["user_name"] = "changed"
			}
		}
		return out
	}
	kept := run(state.NewMemoryWindows())
	encoded := run(encodedWindows{state.NewMemoryWindows()})
	if len(kept) != 6 {
		t.Fatalf("%d deliveries, want 6 (2 alerts, 4 updates)", len(kept))
	}
	for i := range kept {
		if strings.Contains(kept[i], "changed") || strings.Contains(kept[i], "delivered") {
			t.Errorf("delivery %d carries a change made to an earlier delivery: %s", i, kept[i])
		}
		if kept[i] != encoded[i] {
			t.Errorf("delivery %d differs:\nvalue: %s\njson:  %s", i, kept[i], encoded[i])
		}
	}
}
