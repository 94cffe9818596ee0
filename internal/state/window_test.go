package state

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// windowStore is what both backends offer.
type windowStore interface {
	Observe(ctx context.Context, s Spec, ev Event) (Decision, error)
}

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func at(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }

func observe(t *testing.T, w windowStore, s Spec, id string, when time.Time) Decision {
	t.Helper()
	d, err := w.Observe(context.Background(), s, Event{ID: id, Time: when, Payload: []byte(`"` + id + `"`)})
	if err != nil {
		t.Fatalf("observe %s: %v", id, err)
	}
	return d
}

func TestMemoryDedupWindow(t *testing.T) { testDedupWindow(t, NewMemoryWindows()) }
func TestMemoryThresholdWindow(t *testing.T) {
	testThresholdInterleaved(t, func() windowStore { return NewMemoryWindows() })
}
func TestMemoryThresholdRetries(t *testing.T) {
	testThresholdRetries(t, NewMemoryWindows())
}

func testDedupWindow(t *testing.T, w windowStore) {
	s := Spec{Kind: Dedup, Rule: "TH-T-001", Key: "k", Window: time.Hour}
	d := observe(t, w, s, "e1", at(0))
	if d.Action != Raise || d.Incident.ID != "e1" || d.Incident.Count != 1 || string(d.Incident.Payload) != `"e1"` {
		t.Fatalf("first event: %+v", d)
	}
	d = observe(t, w, s, "e2", at(30))
	if d.Action != Update || d.Incident.ID != "e1" || d.Incident.Count != 2 || !d.Incident.LastSeen.Equal(at(30)) || string(d.Incident.Payload) != `"e1"` {
		t.Fatalf("second event folds into the first alert: %+v", d)
	}
	// A late event 20 minutes before the first still counts, and moves first_seen back.
	d = observe(t, w, s, "e0", at(-20))
	if d.Action != Update || d.Incident.ID != "e1" || d.Incident.Count != 3 || !d.Incident.FirstSeen.Equal(at(-20)) {
		t.Fatalf("late event: %+v", d)
	}
	// A retry of a counted event changes nothing and re-delivers the current state.
	d = observe(t, w, s, "e2", at(30))
	if d.Action != Update || !d.Repeat || d.Incident.Count != 3 {
		t.Fatalf("retried event: %+v", d)
	}
	if d = observe(t, w, s, "e1", at(0)); d.Action != Raise || !d.Repeat || d.Incident.Count != 3 {
		t.Fatalf("retried first event must re-raise: %+v", d)
	}
	// The window is one hour from the first event: 11:00 opens a new one.
	d = observe(t, w, s, "e3", at(60))
	if d.Action != Raise || d.Incident.ID != "e3" || d.Incident.Count != 1 {
		t.Fatalf("event after the window: %+v", d)
	}
	// Another key, and another rule with the same key, are other groups.
	if d = observe(t, w, Spec{Kind: Dedup, Rule: "TH-T-001", Key: "other", Window: time.Hour}, "e4", at(1)); d.Action != Raise {
		t.Fatalf("other key: %+v", d)
	}
	if d = observe(t, w, Spec{Kind: Dedup, Rule: "TH-T-002", Key: "k", Window: time.Hour}, "e5", at(1)); d.Action != Raise {
		t.Fatalf("other rule: %+v", d)
	}
}

type tev struct {
	actor string
	id    string
	min   float64
}

// burst: per actor, events on event time. Alice: three within 10 minutes (from 10:01), then
// two more inside that window, then one 30 minutes later that starts nothing. Bob: one stray
// at 10:00, then three within 10 minutes from 10:20. Carol: two only.
var burst = []tev{
	{"alice", "a1", 1}, {"alice", "a2", 4}, {"alice", "a3", 7}, {"alice", "a4", 9}, {"alice", "a5", 10.5}, {"alice", "a6", 40},
	{"bob", "b0", 0}, {"bob", "b1", 20}, {"bob", "b2", 22}, {"bob", "b3", 29.5},
	{"carol", "c1", 2}, {"carol", "c2", 3},
}

func thresholdSpec(actor string) Spec {
	return Spec{Kind: Threshold, Rule: "TH-T-010", Key: actor, Window: 10 * time.Minute, Count: 3}
}

type outcome struct {
	raises  map[string][]string // actor -> raised ids
	counts  map[string]int      // alert id -> highest count delivered
	members map[string][]string // alert id -> listed event ids at the end
}

func runBurst(t *testing.T, w windowStore, order []tev) outcome {
	t.Helper()
	o := outcome{raises: map[string][]string{}, counts: map[string]int{}, members: map[string][]string{}}
	for _, e := range order {
		d := observe(t, w, thresholdSpec(e.actor), e.id, at(e.min))
		switch d.Action {
		case Raise:
			o.raises[e.actor] = append(o.raises[e.actor], d.Incident.ID)
		case Update:
			if _, ok := o.counts[d.Incident.ID]; !ok {
				t.Fatalf("%s: update of %s before it was raised", e.id, d.Incident.ID)
			}
		}
		if d.Action != Hold {
			o.counts[d.Incident.ID] = max(o.counts[d.Incident.ID], d.Incident.Count)
			var ids []string
			for _, ev := range d.Incident.Events {
				ids = append(ids, ev.ID)
			}
			o.members[d.Incident.ID] = ids
		}
	}
	return o
}

// testThresholdInterleaved: actors interleaved and events out of order fire exactly once per
// actor that reaches the threshold, with the id a replay in event-time order gives, and
// every event of the window counted.
func testThresholdInterleaved(t *testing.T, fresh func() windowStore) {
	sorted := append([]tev(nil), burst...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].min < sorted[j].min })
	replay := runBurst(t, fresh(), sorted)
	aliceID := ThresholdID("TH-T-010", "alice", at(1))
	bobID := ThresholdID("TH-T-010", "bob", at(20))
	if fmt.Sprint(replay.raises) != fmt.Sprint(map[string][]string{"alice": {aliceID}, "bob": {bobID}}) {
		t.Fatalf("replay raised %v", replay.raises)
	}
	if replay.counts[aliceID] != 5 || replay.counts[bobID] != 3 {
		t.Fatalf("replay counts %v (want alice 5: a1-a5, bob 3: b1-b3)", replay.counts)
	}
	if fmt.Sprint(replay.members[aliceID]) != "[a1 a2 a3 a4 a5]" {
		t.Fatalf("alice's alert lists %v", replay.members[aliceID])
	}

	// Live: the same events interleaved and out of order.
	live := []tev{
		burst[2], burst[8], burst[10], burst[0], burst[9], burst[5], burst[11], // a3 b2 c1 a1 b3 a6 c2
		burst[1], burst[6], burst[7], burst[4], burst[3], // a2 b0 b1 a5 a4
	}
	got := runBurst(t, fresh(), live)
	if fmt.Sprint(got.raises) != fmt.Sprint(replay.raises) || fmt.Sprint(got.counts) != fmt.Sprint(replay.counts) {
		t.Fatalf("live raised %v counts %v; replay raised %v counts %v", got.raises, got.counts, replay.raises, replay.counts)
	}

	// Any order at all: still exactly one alert per actor, standing for the same events.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 25 {
		order := append([]tev(nil), burst...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		o := runBurst(t, fresh(), order)
		if len(o.raises["alice"]) != 1 || len(o.raises["bob"]) != 1 || len(o.raises["carol"]) != 0 {
			t.Fatalf("shuffle %d: raises %v", i, o.raises)
		}
		if c := o.counts[o.raises["alice"][0]]; c != 5 {
			t.Fatalf("shuffle %d: alice's alert counts %d", i, c)
		}
	}
}

func testThresholdRetries(t *testing.T, w windowStore) {
	s := thresholdSpec("dave")
	if d := observe(t, w, s, "d1", at(0)); d.Action != Hold || d.Pending != 1 {
		t.Fatalf("d1: %+v", d)
	}
	if d := observe(t, w, s, "d1", at(0)); d.Action != Hold || !d.Repeat || d.Pending != 1 {
		t.Fatalf("retried pending d1 must not count twice: %+v", d)
	}
	observe(t, w, s, "d2", at(1))
	d := observe(t, w, s, "d3", at(2))
	if d.Action != Raise || d.Incident.Count != 3 || d.Incident.RaisedBy != "d3" {
		t.Fatalf("d3: %+v", d)
	}
	if r := observe(t, w, s, "d3", at(2)); r.Action != Raise || !r.Repeat || r.Incident.ID != d.Incident.ID || r.Incident.Count != 3 {
		t.Fatalf("a retry of the raising event re-raises the same alert: %+v", r)
	}
	if r := observe(t, w, s, "d2", at(1)); r.Action != Update || !r.Repeat || r.Incident.Count != 3 {
		t.Fatalf("retry of a listed event: %+v", r)
	}
}

func TestThresholdIDIsDeterministic(t *testing.T) {
	a := ThresholdID("TH-T-010", "k", at(1))
	if a != ThresholdID("TH-T-010", "k", at(1).In(time.FixedZone("x", 3600))) || len(a) != 32 {
		t.Fatalf("id %s depends on the time zone or is malformed", a)
	}
	for _, b := range []string{ThresholdID("TH-T-011", "k", at(1)), ThresholdID("TH-T-010", "k2", at(1)), ThresholdID("TH-T-010", "k", at(2))} {
		if a == b {
			t.Fatal("different rule, key or start gave the same id")
		}
	}
}

func TestWindowPrunesOldState(t *testing.T) {
	w := NewMemoryWindows()
	s := Spec{Kind: Dedup, Rule: "TH-T-001", Key: "k", Window: time.Minute}
	for i := range 100 {
		observe(t, w, s, fmt.Sprint(i), at(float64(i*5)))
	}
	g := w.groups[s.id()]
	if keep := int(horizon(time.Minute)/(5*time.Minute)) + 1; len(g.Incidents) > keep {
		t.Fatalf("%d incidents kept, want at most %d: those within the horizon of the latest event", len(g.Incidents), keep)
	}
	// A thousand counted events: ids beyond MaxTracked are counted but not remembered.
	big := Spec{Kind: Dedup, Rule: "TH-T-001", Key: "big", Window: 24 * time.Hour}
	var d Decision
	for i := range MaxTracked + 10 {
		d = observe(t, w, big, fmt.Sprint("e", i), at(float64(i)/100))
	}
	if d.Incident.Count != MaxTracked+10 || len(d.Incident.Seen) != MaxTracked {
		t.Fatalf("count %d seen %d", d.Incident.Count, len(d.Incident.Seen))
	}
}

func TestSpecValidation(t *testing.T) {
	w := NewMemoryWindows()
	for _, s := range []Spec{
		{Kind: "x", Rule: "r", Key: "k", Window: time.Minute},
		{Kind: Dedup, Rule: "", Key: "k", Window: time.Minute},
		{Kind: Dedup, Rule: "r", Key: "k"},
		{Kind: Threshold, Rule: "r", Key: "k", Window: time.Minute},
	} {
		if _, err := w.Observe(context.Background(), s, Event{ID: "e", Time: t0}); err == nil {
			t.Errorf("spec %+v accepted", s)
		}
	}
}
