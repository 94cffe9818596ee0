package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

// Kind says how a window folds events.
type Kind string

// The window kinds (custom.dedup and custom.threshold in rule metadata).
const (
	// Dedup: the first event of a group raises the alert; later events of the group within
	// the window fold into it (its count and last_seen grow).
	Dedup Kind = "dedup"
	// Threshold: nothing is raised until Count events of a group fall within one window; then
	// one alert lists them, and later events inside that window fold into it.
	Threshold Kind = "threshold"
)

// Spec identifies one group of one rule and how its events are windowed.
type Spec struct {
	Kind   Kind
	Rule   string        // rule id
	Key    string        // group key: the hash of the rule's dedup.by or threshold.by values
	Window time.Duration // on event time
	Count  int           // Threshold only: events needed to raise
}

func (s Spec) id() string { return string(s.Kind) + "#" + s.Rule + "#" + s.Key }

func (s Spec) validate() error {
	switch {
	case s.Kind != Dedup && s.Kind != Threshold:
		return fmt.Errorf("window kind %q", s.Kind)
	case s.Rule == "" || s.Key == "":
		return fmt.Errorf("%s window: rule and key are required", s.Kind)
	case s.Window <= 0:
		return fmt.Errorf("%s window for %s: window must be positive", s.Kind, s.Rule)
	case s.Kind == Threshold && s.Count < 1:
		return fmt.Errorf("threshold window for %s: count must be positive", s.Rule)
	}
	return nil
}

// Event is one matching event offered to a window.
type Event struct {
	ID   string    // unique per event and rule finding: the event's own alert id
	Time time.Time // eventTime, never wall time
	// Clock is the best trusted clock when the event was observed (the wall clock live, the
	// log file's own time in a replay); zero when there is none. An event time more than
	// MaxAhead after it is a claim no one can have made honestly (see Ahead): such an event is
	// counted at its group's latest believed time (Clock for a new group), never moves the
	// group's clock, and never sweeps other groups, so one poisoned eventTime cannot make the
	// real events of any group look old.
	Clock time.Time `json:",omitempty"`
	// Payload is kept with the window: for Dedup, the alert the first event raised (it is
	// re-delivered with the new count); for Threshold, the summary listed in the alert.
	Payload []byte `json:",omitempty"`
	// Value is kept instead of Payload by a store that keeps values in process
	// (ValueKeeper): the caller's own copy, never encoded; other stores ignore it.
	Value any `json:"-"`
}

// ValueKeeper is a window store that keeps Event.Value as it is and returns it in
// Incident.Value, so an in-process caller need not encode what it keeps (MemoryWindows).
type ValueKeeper interface {
	KeepsValues() bool
}

// MaxAhead is how far an event time may be ahead of the trusted clock before it is not
// believed: clock skew between AWS hosts and the observer, and a log file's events written
// up to a few minutes after the time in its name, stay well inside it.
const MaxAhead = 15 * time.Minute

// Ahead returns how far t is ahead of clock when that is more than MaxAhead (t is then not
// believed), and 0 otherwise or when clock is zero.
func Ahead(t, clock time.Time) time.Duration {
	if !clock.IsZero() && t.Sub(clock) > MaxAhead {
		return t.Sub(clock)
	}
	return 0
}

// believed reports whether ev's time is believed (see Ahead).
func (ev Event) believed() bool { return Ahead(ev.Time, ev.Clock) == 0 }

// Action is what the caller must deliver for an event.
type Action int

const (
	// Hold: a threshold not (yet) reached; nothing to deliver.
	Hold Action = iota
	// Raise: a new alert (a dedup window's first event, or a threshold reached).
	Raise
	// Update: an existing alert grew; re-deliver it with the same id and the new count.
	Update
)

func (a Action) String() string {
	switch a {
	case Raise:
		return "raise"
	case Update:
		return "update"
	}
	return "hold"
}

// Decision is the outcome of offering an event to a window.
type Decision struct {
	Action Action
	// Repeat is true when the event had already been counted (a retry after a failed
	// delivery): the window did not change and the current alert should be delivered again.
	Repeat bool
	// Pending is the number of events waiting below the threshold (Hold only).
	Pending  int
	Incident Incident
}

// Incident is one raised alert's window: the alert id, where the window lies on event time,
// and how many events it stands for.
type Incident struct {
	// ID is the alert id: for Dedup the id of the first event's alert; for Threshold
	// ThresholdID(rule, key, start), the same in live processing and in replay.
	ID        string
	Start     time.Time // window start: the first (Dedup: raising) event's time
	End       time.Time // Start + window
	Count     int
	FirstSeen time.Time
	LastSeen  time.Time
	RaisedBy  string // id of the event that raised it
	// Payload is the Dedup alert as first raised.
	Payload []byte `json:",omitempty"`
	// Value is the Dedup alert's Event.Value in a ValueKeeper store (then Payload is empty).
	Value any `json:"-"`
	// Events are the first MaxListed events (Threshold), in event-time order.
	Events []Event `json:",omitempty"`
	// Seen are the ids of the counted events (up to MaxTracked), so a retried event is not
	// counted twice.
	Seen []string
}

// Limits on what one window remembers.
const (
	MaxListed  = 50  // events listed in a threshold alert
	MaxTracked = 500 // event ids remembered per incident for retries (bounds the item size)
)

// ThresholdID is the deterministic id of a threshold alert.
func ThresholdID(rule, key string, start time.Time) string {
	h := sha256.New()
	for _, p := range []string{"threshold", rule, key, start.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// group is everything remembered about one Spec: raised incidents and, for thresholds, the
// events still below the count. Both backends store exactly this (DynamoDB as JSON), so
// both decide identically.
type group struct {
	Incidents []Incident
	Pending   []Event `json:",omitempty"`
	MaxTime   time.Time
}

// apply offers ev to the group and returns what to deliver. It reports whether the group
// changed (and must be stored).
func (g *group) apply(s Spec, ev Event) (Decision, bool) {
	believed := ev.believed()
	if !believed {
		ev.Time = g.MaxTime
		if ev.Time.IsZero() {
			ev.Time = ev.Clock
		}
	}
	ev.Time = ev.Time.UTC()
	for i := range g.Incidents {
		if inc := &g.Incidents[i]; inc.counted(ev.ID) {
			return repeat(inc, ev.ID), false
		}
	}
	for _, p := range g.Pending {
		if p.ID == ev.ID {
			return Decision{Action: Hold, Repeat: true, Pending: len(g.Pending)}, false
		}
	}
	if believed && ev.Time.After(g.MaxTime) {
		g.MaxTime = ev.Time
	}
	var d Decision
	if s.Kind == Dedup {
		d = g.dedup(s, ev)
	} else {
		d = g.threshold(s, ev)
	}
	g.prune(s.Window)
	return d, true
}

func (inc *Incident) counted(id string) bool {
	for _, s := range inc.Seen {
		if s == id {
			return true
		}
	}
	return false
}

func repeat(inc *Incident, id string) Decision {
	d := Decision{Action: Update, Repeat: true, Incident: inc.clone()}
	if inc.RaisedBy == id {
		d.Action = Raise
	}
	return d
}

// dedup folds ev into the incident that holds it (see incidentFor), else raises a new one.
func (g *group) dedup(s Spec, ev Event) Decision {
	if inc := g.incidentFor(ev.Time, s.Window); inc != nil {
		inc.fold(ev, false)
		return Decision{Action: Update, Incident: inc.clone()}
	}
	inc := Incident{ID: ev.ID, Start: ev.Time, End: ev.Time.Add(s.Window), RaisedBy: ev.ID, Payload: ev.Payload, Value: ev.Value}
	inc.fold(ev, false)
	g.Incidents = append(g.Incidents, inc)
	return Decision{Action: Raise, Incident: inc.clone()}
}

// incidentFor finds the incident an event at t folds into: the latest one whose window
// [Start, End) holds t, else the earliest one starting less than a window after t. The
// second case is a late event: in event-time order it would have come first and the
// incident's events would have joined its window; folding it keeps one alert per burst (its
// first_seen moves back), though the alert keeps the id it was raised with.
func (g *group) incidentFor(t time.Time, window time.Duration) *Incident {
	var best *Incident
	for i := range g.Incidents {
		inc := &g.Incidents[i]
		if !t.Before(inc.Start) && t.Before(inc.End) && (best == nil || inc.Start.After(best.Start)) {
			best = inc
		}
	}
	if best != nil {
		return best
	}
	for i := range g.Incidents {
		inc := &g.Incidents[i]
		if t.Before(inc.Start) && inc.Start.Sub(t) < window && (best == nil || inc.Start.Before(best.Start)) {
			best = inc
		}
	}
	return best
}

// threshold folds ev into a raised incident that holds it (see incidentFor); otherwise ev
// waits, and the threshold is reached when Count waiting events fall in one window
// [a, a+window) that holds ev, a being a waiting event's time: the earliest such a is the
// window's start. Processed in event-time order (a replay), the first Count events of a
// burst raise it; live, the same holds whenever the burst's earliest event is among the
// first Count to arrive, so both give the same id.
func (g *group) threshold(s Spec, ev Event) Decision {
	if inc := g.incidentFor(ev.Time, s.Window); inc != nil {
		inc.fold(ev, true)
		return Decision{Action: Update, Incident: inc.clone()}
	}
	g.Pending = append(g.Pending, ev)
	sort.SliceStable(g.Pending, func(i, j int) bool { return g.Pending[i].Time.Before(g.Pending[j].Time) })
	for _, a := range g.Pending {
		start, end := a.Time, a.Time.Add(s.Window)
		if start.After(ev.Time) || !ev.Time.Before(end) {
			continue
		}
		var in, out []Event
		for _, p := range g.Pending {
			if !p.Time.Before(start) && p.Time.Before(end) {
				in = append(in, p)
			} else {
				out = append(out, p)
			}
		}
		if len(in) < s.Count {
			continue
		}
		inc := Incident{ID: ThresholdID(s.Rule, s.Key, start), Start: start, End: end, RaisedBy: ev.ID}
		for _, p := range in {
			inc.fold(p, true)
		}
		g.Pending = out
		g.Incidents = append(g.Incidents, inc)
		return Decision{Action: Raise, Incident: inc.clone()}
	}
	return Decision{Action: Hold, Pending: len(g.Pending)}
}

func (inc *Incident) fold(ev Event, list bool) {
	inc.Count++
	if inc.FirstSeen.IsZero() || ev.Time.Before(inc.FirstSeen) {
		inc.FirstSeen = ev.Time
	}
	if ev.Time.After(inc.LastSeen) {
		inc.LastSeen = ev.Time
	}
	if len(inc.Seen) < MaxTracked {
		inc.Seen = append(inc.Seen, ev.ID)
	}
	if list && len(inc.Events) < MaxListed {
		inc.Events = append(inc.Events, ev)
		sort.SliceStable(inc.Events, func(i, j int) bool { return inc.Events[i].Time.Before(inc.Events[j].Time) })
	}
}

func (inc Incident) clone() Incident {
	inc.Events = append([]Event(nil), inc.Events...)
	inc.Seen = append([]string(nil), inc.Seen...)
	return inc
}

// Lateness is how late (on event time, behind the latest event of its group) an event may
// arrive and still fold into an incident or count toward a threshold. CloudTrail delivers
// most events within minutes; retries and replays of a few hours' backlog stay within it.
// MemoryWindows also forgets a whole group once it has observed an event more than
// window + 2 x Lateness after the group's latest one (sweepAfter).
const Lateness = time.Hour

// horizon is how long past the latest event time a group keeps an incident or a waiting
// event.
func horizon(window time.Duration) time.Duration { return 2*window + Lateness }

func (g *group) prune(window time.Duration) {
	cut := g.MaxTime.Add(-horizon(window))
	incs := g.Incidents[:0]
	for _, inc := range g.Incidents {
		if !inc.End.Before(cut) {
			incs = append(incs, inc)
		}
	}
	// Clear the slots left behind, or the backing arrays would keep what they held (the
	// dedup alerts, the waiting events' payloads) alive.
	clear(g.Incidents[len(incs):])
	g.Incidents = incs
	pend := g.Pending[:0]
	for _, p := range g.Pending {
		if !p.Time.Before(cut) {
			pend = append(pend, p)
		}
	}
	clear(g.Pending[len(pend):])
	g.Pending = pend
}
