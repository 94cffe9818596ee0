// Package state owns what trailhound remembers between events: idempotency (which alert ids
// were raised), dedup windows and thresholds. Windows run on event time, never wall-clock
// time, so a replay raises what live processing raised. Backends: in-memory for scan and
// replay, DynamoDB for the Lambda.
package state

import (
	"context"
	"sync"
	"time"
)

// Memory is an in-process idempotency store for one scan or replay run.
type Memory struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{seen: map[string]struct{}{}} }

// Claim records id and reports whether it was new.
func (m *Memory) Claim(_ context.Context, id string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.seen[id]; ok {
		return false, nil
	}
	m.seen[id] = struct{}{}
	return true, nil
}

// Release forgets id.
func (m *Memory) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.seen, id)
	return nil
}
