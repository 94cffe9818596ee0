package state

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// testPoisonedTime: an event whose time is decades ahead of the trusted clock neither switches
// its group's threshold off (the group's real events are not pruned as old) nor sweeps away
// the other groups (MemoryWindows), whether the trusted clock is close to the events (live) or
// months after them (a scan of old logs against the wall clock); lag is how far the trusted
// clock is past the events.
func testPoisonedTime(t *testing.T, w windowStore, lag time.Duration) {
	ctx := context.Background()
	burst := Spec{Kind: Threshold, Rule: "TH-T-104", Key: "actor-a", Window: 10 * time.Minute, Count: 3}
	other := Spec{Kind: Threshold, Rule: "TH-T-104", Key: "actor-b", Window: 10 * time.Minute, Count: 2}
	offer := func(s Spec, id string, when time.Time) Decision {
		t.Helper()
		d, err := w.Observe(ctx, s, Event{ID: id, Time: when, Clock: when.Add(lag), Payload: []byte(`"` + id + `"`)})
		if err != nil {
			t.Fatalf("observe %s: %v", id, err)
		}
		return d
	}
	offer(other, "b-1", at(0))
	offer(burst, "a-0", at(0.2))
	future := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	d, err := w.Observe(ctx, burst, Event{ID: "a-2099", Time: future, Clock: at(0.5).Add(lag), Payload: []byte(`"a-2099"`)})
	if err != nil || d.Action != Hold {
		t.Fatalf("the 2099 event: %+v, %v; want held", d, err)
	}
	var raised *Decision
	for i := 1; i <= 3 && raised == nil; i++ {
		d := offer(burst, fmt.Sprintf("a-%d", i), at(float64(i)))
		if d.Action == Raise {
			raised = &d
		}
	}
	if raised == nil {
		t.Fatal("real events within the window did not raise the burst after a 2099 event: the outlier switched the rule off")
	}
	if inc := raised.Incident; inc.LastSeen.After(at(10)) || inc.Start.After(at(10)) {
		t.Errorf("the incident's clock moved to the claimed time: start %v, last seen %v", inc.Start, inc.LastSeen)
	}
	if d := offer(other, "b-2", at(3)); d.Action != Raise {
		t.Errorf("another group's threshold after the outlier: %+v, want raised (its pending event was swept)", d)
	}
	// An outlier offered to a group that has seen nothing yet is held at the trusted clock.
	fresh := Spec{Kind: Threshold, Rule: "TH-T-104", Key: "actor-c", Window: 10 * time.Minute, Count: 2}
	if d, err := w.Observe(ctx, fresh, Event{ID: "c-2099", Time: future, Clock: at(4).Add(lag)}); err != nil || d.Action != Hold {
		t.Fatalf("outlier in a new group: %+v, %v", d, err)
	}
	if d := offer(fresh, "c-1", at(4)); lag == 0 && d.Action != Raise {
		t.Errorf("live: the outlier, counted at the trusted clock, and a real event a moment later: %+v, want raised", d)
	}
}

func TestMemoryWindowsPoisonedTime(t *testing.T) {
	t.Run("live", func(t *testing.T) { testPoisonedTime(t, NewMemoryWindows(), 0) })
	t.Run("old logs", func(t *testing.T) { testPoisonedTime(t, NewMemoryWindows(), 280*24*time.Hour) })
}

func TestDynamoWindowsPoisonedTime(t *testing.T) {
	c, table := newTable(t)
	t.Run("live", func(t *testing.T) { testPoisonedTime(t, NewDynamoWindows(c, table), 0) })
	t.Run("old logs", func(t *testing.T) {
		testPoisonedTime(t, NewDynamoWindows(c, newStateTable(t, c, "poisoned-old")), 280*24*time.Hour)
	})
}

func TestAhead(t *testing.T) {
	clock := at(0)
	for _, c := range []struct {
		t     time.Time
		ahead time.Duration
	}{
		{at(-60), 0},               // old: believed
		{at(15), 0},                // within MaxAhead
		{at(16), 16 * time.Minute}, // past it
		{at(60 * 24 * 365), 365 * 24 * time.Hour},
	} {
		if ahead := Ahead(c.t, clock); ahead != c.ahead {
			t.Errorf("Ahead(%v) = %v; want %v", c.t, ahead, c.ahead)
		}
	}
	if ahead := Ahead(at(1e6), time.Time{}); ahead != 0 {
		t.Errorf("no clock: %v; want the event time believed", ahead)
	}
}
