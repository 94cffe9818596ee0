package state

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryWindows keeps dedup and threshold windows in process, for scan and replay (one run)
// and for tests. It is safe for concurrent use.
//
// Its memory is bounded by event time, not by the number of events: a group is forgotten once
// it can no longer matter (see sweepAfter), and the alert a dedup window keeps for
// re-delivery is stored compressed (see packer), so a replay of a month holds about what a
// replay of a few hours holds.
type MemoryWindows struct {
	// Disorder is how far behind an event observed before it (on event time) an event may
	// arrive and still find the groups it belongs to (see sweepAfter); DefaultDisorder when
	// zero. A replay whose --lateness exceeds DefaultDisorder - 5 min should raise it to its
	// lateness + 5 min. Set it before the first Observe.
	Disorder time.Duration

	mu     sync.Mutex
	groups map[string]*memGroup
	// swept is the event time of the last sweep; the next one comes when an observed event
	// is sweepStep away from it.
	swept  time.Time
	packer packer
}

type memGroup struct {
	group
	window time.Duration
}

// sweepStep is how far event time moves between sweeps of the groups that can no longer
// matter (a month-long replay must not keep every group it ever saw). A sweep looks at every
// group, so sweeping each time event time moves by a few minutes costs little and keeps
// groups no more than that past their horizon.
const sweepStep = 5 * time.Minute

// sweepAfter is how far past a group's latest event the store forgets the group, measured on
// the event time of the event being observed (not the latest time seen: a scan that goes back
// in time, one region's files after another's, does not sweep the groups it is filling). A
// group matters to an event at t only while t is before its latest event + window: no
// incident ends later (an incident starts at one of the group's events and lasts one
// window), and a waiting threshold event pairs only with events less than a window after it.
// Forgetting it therefore changes nothing for an event that arrives less than
// DefaultDisorder (2 x Lateness; MemoryWindows.Disorder when set) behind each event observed
// before it: twice the tolerance documented for a group
// (Lateness), which covers replay: it delivers log files in the order of the times in their
// names, so an event comes at most its file's --lateness (1 h by default) plus the 5 minutes
// a file covers behind any delivered before it.
func (m *MemoryWindows) sweepAfter(window time.Duration) time.Duration {
	if m.Disorder > 0 {
		return window + m.Disorder
	}
	return window + DefaultDisorder
}

// DefaultDisorder is the default MemoryWindows.Disorder.
const DefaultDisorder = 2 * Lateness

// KeepsValues reports that m keeps Event.Value as given (see ValueKeeper): a dedup window's
// alert is then held as the caller's value instead of compressed JSON.
func (m *MemoryWindows) KeepsValues() bool { return true }

// NewMemoryWindows returns an empty in-memory window store.
func NewMemoryWindows() *MemoryWindows { return &MemoryWindows{groups: map[string]*memGroup{}} }

// Observe offers ev to the window of s and says what to deliver.
func (m *MemoryWindows) Observe(_ context.Context, s Spec, ev Event) (Decision, error) {
	if err := s.validate(); err != nil {
		return Decision{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := ev.Time.Sub(m.swept); ev.believed() && (d >= sweepStep || d <= -sweepStep) {
		m.sweep(ev.Time)
		m.swept = ev.Time
	}
	g := m.groups[s.id()]
	if g == nil {
		g = &memGroup{}
		m.groups[s.id()] = g
	}
	g.window = s.Window
	d, changed := g.apply(s, ev)
	if changed && s.Kind == Dedup && d.Action == Raise {
		// The group keeps the alert compressed, or the caller's value as it is; the caller
		// gets it as given.
		for i := range g.Incidents {
			if inc := &g.Incidents[i]; inc.ID == d.Incident.ID && inc.RaisedBy == ev.ID && inc.Value == nil {
				inc.Payload = m.packer.pack(s.Rule, ev.Payload)
			}
		}
		d.Incident.Payload = ev.Payload
		return d, nil
	}
	if d.Action != Hold && s.Kind == Dedup && d.Incident.Value == nil {
		p, err := m.packer.unpack(s.Rule, d.Incident.Payload)
		if err != nil {
			return Decision{}, fmt.Errorf("%s window of %s: alert of incident %s: %w", s.Kind, s.Rule, d.Incident.ID, err)
		}
		d.Incident.Payload = p
	}
	return d, nil
}

// sweep forgets the groups whose latest event is more than sweepAfter(window) (with
// m.Disorder) before now (an event time).
func (m *MemoryWindows) sweep(now time.Time) {
	for k, g := range m.groups {
		if g.MaxTime.Add(m.sweepAfter(g.window)).Before(now) {
			delete(m.groups, k)
		}
	}
}
