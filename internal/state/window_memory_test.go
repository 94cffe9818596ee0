package state

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// alertLike is a dedup window's payload as the pipeline stores it: an alert of a few KB whose
// text is mostly the rule's (remediation, runbook), with the event's own values in it.
func alertLike(rule string, i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	user := fmt.Sprintf("user-%d", r.IntN(1000))
	var b strings.Builder
	fmt.Fprintf(&b, `{"schema_version":"1","id":"%032x","created_at":"2026-03-01T10:00:00Z","severity":"HIGH","title":"Access key created for another user",`, r.Uint64())
	fmt.Fprintf(&b, `"summary":"arn:aws:iam::111122223333:user/admin-%d created an access key for %s from 203.0.113.%d.",`, r.IntN(50), user, r.IntN(255))
	fmt.Fprintf(&b, `"rule":{"id":%q,"title":"Access key created for another user","version":"1","team":"builtin","severity":"HIGH","attack":["TA0003:T1098.001"]},`, rule)
	fmt.Fprintf(&b, `"event":{"id":"%08x-%04x-%04x-%04x-%012x","name":"CreateAccessKey","source":"iam.amazonaws.com","time":"2026-03-01T10:%02d:%02dZ","account":"111122223333","region":"us-east-1"},`,
		r.Uint32(), r.IntN(1<<16), r.IntN(1<<16), r.IntN(1<<16), r.Uint64()>>16, r.IntN(60), r.IntN(60))
	b.WriteString(`"remediation":{"summary":"Confirm with the user's owner that the key was expected; if not, deactivate and delete it and contain the caller.","containment":[`)
	for step := range 12 {
		fmt.Fprintf(&b, `{"title":"Step %d: deactivate the new key, then review what it did before deleting it","console":["IAM > Users > %s > Security credentials > Access keys > Deactivate"],"cli":["aws iam update-access-key --user-name %s --access-key-id AKIA%016X --status Inactive","aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=AKIA%016X"]},`,
			step, user, user, r.Uint64(), r.Uint64())
	}
	b.WriteString(`{}]},"runbook":["Who created the key, from where, with which credentials?","Has the key been used? Check its last use and the events it signed.","Was the change announced? Ask the owner of the user."]}`)
	return []byte(b.String())
}

// TestMemoryWindowsRedeliverTheFirstPayload: the alert a dedup window keeps (stored packed)
// comes back byte for byte on every update and on a retried first event, whatever other
// windows of the same rule hold.
func TestMemoryWindowsRedeliverTheFirstPayload(t *testing.T) {
	w := NewMemoryWindows()
	ctx := context.Background()
	first := map[string][]byte{}
	for i := range 200 {
		key := fmt.Sprint("k", i%40)
		s := Spec{Kind: Dedup, Rule: "TH-T-001", Key: key, Window: time.Hour}
		p := alertLike("TH-T-001", i)
		d, err := w.Observe(ctx, s, Event{ID: fmt.Sprint("e", i), Time: at(float64(i) / 10), Payload: p})
		if err != nil {
			t.Fatal(err)
		}
		switch d.Action {
		case Raise:
			first[key] = p
			if !bytes.Equal(d.Incident.Payload, p) {
				t.Fatalf("event %d: raise carries another payload", i)
			}
		case Update:
			if !bytes.Equal(d.Incident.Payload, first[key]) {
				t.Fatalf("event %d: update carries %.80q, want the first alert of %s", i, d.Incident.Payload, key)
			}
		default:
			t.Fatalf("event %d: %v", i, d.Action)
		}
	}
	d, err := w.Observe(ctx, Spec{Kind: Dedup, Rule: "TH-T-001", Key: "k3", Window: time.Hour}, Event{ID: "e3", Time: at(0.3)})
	if err != nil || d.Action != Raise || !d.Repeat || !bytes.Equal(d.Incident.Payload, first["k3"]) {
		t.Fatalf("retried first event: %v %+v", err, d.Action)
	}
	var packed, raw int
	for _, g := range w.groups {
		for _, inc := range g.Incidents {
			packed += len(inc.Payload)
		}
	}
	for _, p := range first {
		raw += len(p)
	}
	if packed*4 > raw {
		t.Fatalf("the windows hold %d bytes for %d bytes of alerts: not packed", packed, raw)
	}
}

// TestMemoryWindowsSweepHorizon: a group is forgotten (&MemoryWindows{}).sweepAfter(window) = window + 2 x
// Lateness after its latest event (on the event time of the events observed), and not
// before: an event up to Lateness behind the others still folds into its incident.
func TestMemoryWindowsSweepHorizon(t *testing.T) {
	for window, after := range map[time.Duration]time.Duration{10 * time.Minute: 130 * time.Minute, time.Hour: 3 * time.Hour, 24 * time.Hour: 26 * time.Hour} {
		if (&MemoryWindows{}).sweepAfter(window) != after {
			t.Fatalf("sweepAfter(%v) = %v, want %v", window, (&MemoryWindows{}).sweepAfter(window), after)
		}
		w := NewMemoryWindows()
		s := Spec{Kind: Dedup, Rule: "TH-T-001", Key: "watched", Window: window}
		other := func(key string, when time.Time) {
			t.Helper()
			observe(t, w, Spec{Kind: Dedup, Rule: "TH-T-002", Key: key, Window: time.Minute}, key, when)
		}
		observe(t, w, s, "first", t0)
		// Others' events move event time on to Lateness past the window's end; a late event
		// of the group, inside its window and Lateness behind them, still folds in.
		end := t0.Add(window)
		for m := time.Duration(0); m < window+Lateness; m += time.Minute {
			other(fmt.Sprint("o", m), t0.Add(m))
		}
		if d := observe(t, w, s, "late", end.Add(-time.Second)); d.Action != Update || d.Incident.ID != "first" || d.Incident.Count != 2 {
			t.Fatalf("window %v: an event Lateness behind the others must fold in: %+v", window, d)
		}
		latest := end.Add(-time.Second)
		keep := latest.Add((&MemoryWindows{}).sweepAfter(window)).Sub(t0)
		for m := window + Lateness; m < keep; m += time.Minute {
			other(fmt.Sprint("p", m), t0.Add(m))
		}
		if _, ok := w.groups[s.id()]; !ok {
			t.Fatalf("window %v: group forgotten before %v past its latest event", window, (&MemoryWindows{}).sweepAfter(window))
		}
		for m := keep; m <= keep+sweepStep+time.Minute; m += time.Minute {
			other(fmt.Sprint("q", m), t0.Add(m))
		}
		if _, ok := w.groups[s.id()]; ok {
			t.Fatalf("window %v: group kept more than %v past its latest event", window, (&MemoryWindows{}).sweepAfter(window)+sweepStep)
		}
	}
}

// TestMemoryWindowsDisorder: a store told to expect events further behind keeps groups
// longer.
func TestMemoryWindowsDisorder(t *testing.T) {
	w := NewMemoryWindows()
	w.Disorder = 5 * time.Hour
	s := Spec{Kind: Dedup, Rule: "TH-T-001", Key: "watched", Window: time.Hour}
	observe(t, w, s, "first", t0)
	for m := time.Duration(0); m <= 5*time.Hour+50*time.Minute; m += time.Minute {
		observe(t, w, Spec{Kind: Dedup, Rule: "TH-T-002", Key: fmt.Sprint("o", m), Window: time.Minute}, fmt.Sprint("o", m), t0.Add(m))
	}
	if d := observe(t, w, s, "late", t0.Add(59*time.Minute)); d.Action != Update || d.Incident.ID != "first" {
		t.Fatalf("an event 4h51m behind, Disorder 5h: %+v", d)
	}
}

// TestMemoryWindowsHeldBoundedOverDays: a replay of 10 days of alerting events, each of a
// new group, 1 h and 24 h windows: the store holds the groups of the last 3 h and 26 h
// (sweepAfter), packed, and the live heap stops growing after the first day.
func TestMemoryWindowsHeldBoundedOverDays(t *testing.T) {
	if testing.Short() {
		t.Skip("10 days of events")
	}
	w := NewMemoryWindows()
	ctx := context.Background()
	step := 2 * time.Minute
	days := 10
	heapAt := map[int]uint64{}
	var payloadBytes int
	for i := 0; i < days*int(24*time.Hour/step); i++ {
		when := t0.Add(time.Duration(i) * step)
		rule, window := "TH-T-001", time.Hour
		if i%2 == 1 {
			rule, window = "TH-T-002", 24*time.Hour
		}
		p := alertLike(rule, i)
		payloadBytes += len(p)
		if _, err := w.Observe(ctx, Spec{Kind: Dedup, Rule: rule, Key: fmt.Sprint("k", i), Window: window}, Event{ID: fmt.Sprint("e", i), Time: when, Payload: p}); err != nil {
			t.Fatal(err)
		}
		if day := int(when.Sub(t0) / (24 * time.Hour)); when.Sub(t0)%(24*time.Hour) == 0 && day > 0 {
			heapAt[day] = liveHeap()
		}
	}
	// Groups of the last (&MemoryWindows{}).sweepAfter(window) (plus a sweep step) of each rule.
	perRule := func(after time.Duration) int { return int((after+sweepStep)/(2*step)) + 1 }
	if n, want := len(w.groups), perRule(3*time.Hour)+perRule(26*time.Hour); n > want {
		t.Fatalf("%d groups held after %d days, want at most %d", n, days, want)
	}
	var held int
	for _, g := range w.groups {
		for _, inc := range g.Incidents {
			held += len(inc.Payload)
		}
	}
	if avg := held / len(w.groups); avg > 1500 {
		t.Fatalf("%d bytes held per window (alerts of %d bytes on average)", avg, payloadBytes/(days*int(24*time.Hour/step)))
	}
	if growth := int64(heapAt[days-1]) - int64(heapAt[2]); growth > 4<<20 {
		t.Fatalf("live heap grew by %d KB from day 2 to day %d (%d KB -> %d KB)", growth>>10, days-1, heapAt[2]>>10, heapAt[days-1]>>10)
	}
	runtime.KeepAlive(w)
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func TestPackerRoundTrip(t *testing.T) {
	var p packer
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]byte, 3000)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	cases := [][]byte{alertLike("R1", 1), alertLike("R1", 2), alertLike("R2", 3), []byte(`"e1"`), noise, bytes.Repeat([]byte("x"), 100000)}
	for i, c := range cases {
		b := p.pack(fmt.Sprint("R", i%2), c)
		got, err := p.unpack(fmt.Sprint("R", i%2), b)
		if err != nil || !bytes.Equal(got, c) {
			t.Fatalf("case %d: %v, round trip changed the payload", i, err)
		}
		if i == 1 && len(b) > len(c)/4 {
			t.Fatalf("a second alert of a rule packs to %d bytes of %d", len(b), len(c))
		}
		if i == 4 && b[0] != packRaw {
			t.Fatalf("incompressible payload not kept raw")
		}
	}
	if b := p.pack("R1", nil); b != nil {
		t.Fatalf("empty payload packed to %q", b)
	}
	if got, err := p.unpack("R1", nil); got != nil || err != nil {
		t.Fatalf("unpack(nil) = %q, %v", got, err)
	}
	good := p.pack("R1", alertLike("R1", 5))
	for name, b := range map[string][]byte{
		"unknown format":   append([]byte{9}, good[1:]...),
		"truncated":        good[:len(good)/2],
		"longer than told": append([]byte{packFlate, 3}, good[2:]...),
	} {
		if _, err := p.unpack("R1", b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := p.unpack("R9", good); err == nil || !strings.Contains(err.Error(), "no dictionary") {
		t.Errorf("unknown rule: %v", err)
	}
}

// TestPruneReleasesPayloads: the incidents and waiting events a group prunes leave nothing
// behind in its slices' backing arrays (a long-lived group would otherwise keep the alerts
// of pruned incidents alive).
func TestPruneReleasesPayloads(t *testing.T) {
	w := NewMemoryWindows()
	dedup := Spec{Kind: Dedup, Rule: "TH-T-001", Key: "k", Window: time.Minute}
	burst := Spec{Kind: Threshold, Rule: "TH-T-010", Key: "k", Window: time.Minute, Count: 1000}
	for i := range 200 {
		observe(t, w, dedup, fmt.Sprint("d", i), at(float64(i*5)))
		observe(t, w, burst, fmt.Sprint("b", i), at(float64(i*5)))
	}
	d, b := w.groups[dedup.id()], w.groups[burst.id()]
	if len(d.Incidents) == 200 || len(b.Pending) == 200 {
		t.Fatalf("nothing pruned: %d incidents, %d waiting", len(d.Incidents), len(b.Pending))
	}
	for i, inc := range d.Incidents[len(d.Incidents):cap(d.Incidents)] {
		if inc.Payload != nil || inc.Seen != nil {
			t.Fatalf("pruned incident %d still referenced past the slice's end", i)
		}
	}
	for i, p := range b.Pending[len(b.Pending):cap(b.Pending)] {
		if p.Payload != nil {
			t.Fatalf("pruned event %d still referenced past the slice's end", i)
		}
	}
}
