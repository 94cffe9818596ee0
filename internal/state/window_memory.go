package state

import (
	"context"
	"sync"
	"time"
)

// MemoryWindows keeps dedup and threshold windows in process, for scan and replay (one run)
// and for tests. It is safe for concurrent use.
type MemoryWindows struct {
	mu      sync.Mutex
	groups  map[string]*memGroup
	maxTime time.Time
	ops     int
}

type memGroup struct {
	group
	window time.Duration
}

// sweepEvery is how many observations pass between sweeps of groups no event has reached
// within their horizon (a month-long replay must not keep every group it ever saw).
const sweepEvery = 4096

// NewMemoryWindows returns an empty in-memory window store.
func NewMemoryWindows() *MemoryWindows { return &MemoryWindows{groups: map[string]*memGroup{}} }

// Observe offers ev to the window of s and says what to deliver.
func (m *MemoryWindows) Observe(_ context.Context, s Spec, ev Event) (Decision, error) {
	if err := s.validate(); err != nil {
		return Decision{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.groups[s.id()]
	if g == nil {
		g = &memGroup{}
		m.groups[s.id()] = g
	}
	g.window = s.Window
	d, _ := g.apply(s, ev)
	if g.MaxTime.After(m.maxTime) {
		m.maxTime = g.MaxTime
	}
	if m.ops++; m.ops%sweepEvery == 0 {
		m.sweep()
	}
	return d, nil
}

func (m *MemoryWindows) sweep() {
	for k, g := range m.groups {
		if g.MaxTime.Add(2 * horizon(g.window)).Before(m.maxTime) {
			delete(m.groups, k)
		}
	}
}
