// Package state owns what trailhound remembers between events: idempotency (which alert ids
// were raised), dedup windows and thresholds. Windows run on event time, never wall-clock
// time, so a replay raises what live processing raised. Backends: in-memory for scan and
// replay, DynamoDB for the Lambda.
package state

import (
	"context"
	"encoding/hex"
	"sync"
	"time"
)

// DefaultRetention is how long an idempotency record outlives its event by default, in
// DynamoDB (past the later of the event time and now) and in memory (on event time).
const DefaultRetention = 48 * time.Hour

// Memory is an in-process idempotency store for one scan or replay run.
//
// It remembers an id until a claim with an event time more than Retention after the id's
// own has been made (the in-memory counterpart of the DynamoDB store's TTL, on event time),
// so its size is bounded by the alerts of Retention of event time, not by the length of the
// trail. A duplicate of an event is the same event, with the same event time: in a replay,
// which reads log files in time order, it comes long before its id is forgotten. Ids that
// are 32 hex digits (alert ids) are kept as 16 bytes.
type Memory struct {
	// Retention is how long past its event time an id is remembered; DefaultRetention when
	// zero, never less than MinRetention.
	Retention time.Duration

	mu    sync.Mutex
	ids   map[[16]byte]int64 // alert ids -> event time (Unix seconds)
	other map[string]int64   // any other id -> event time
	// partial holds, for ids released after a partly failed delivery, the destinations
	// they reached (ReleasePartial).
	partial map[string][]string
	// swept is the event time of the last sweep; the next one comes when a claim's event
	// time is memorySweepStep away from it.
	swept time.Time
}

// memorySweepStep is how far event time moves between sweeps of expired ids.
const memorySweepStep = time.Hour

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{ids: map[[16]byte]int64{}, other: map[string]int64{}}
}

// Claim records id and reports whether it was new.
func (m *Memory) Claim(_ context.Context, id string, eventTime time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d := eventTime.Sub(m.swept); d >= memorySweepStep || d <= -memorySweepStep {
		m.sweep(eventTime)
		m.swept = eventTime
	}
	t := eventTime.Unix()
	if k, ok := compactID(id); ok {
		if _, seen := m.ids[k]; seen {
			return false, nil
		}
		m.ids[k] = t
		return true, nil
	}
	if _, seen := m.other[id]; seen {
		return false, nil
	}
	m.other[id] = t
	return true, nil
}

// Release forgets id.
func (m *Memory) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k, ok := compactID(id); ok {
		delete(m.ids, k)
	} else {
		delete(m.other, id)
	}
	return nil
}

// sweep forgets the ids whose event time is more than the retention before now (an event
// time).
func (m *Memory) sweep(now time.Time) {
	retention := DefaultRetention
	if m.Retention != 0 {
		retention = max(m.Retention, MinRetention)
	}
	cut := now.Add(-retention).Unix()
	for k, t := range m.ids {
		if t < cut {
			delete(m.ids, k)
		}
	}
	for k, t := range m.other {
		if t < cut {
			delete(m.other, k)
		}
	}
}

// compactID is id as 16 bytes when it is 32 lowercase hex digits (what alert.ID returns);
// hex.EncodeToString of the result gives id back, so distinct ids stay distinct.
func compactID(id string) ([16]byte, bool) {
	var k [16]byte
	if len(id) != 32 {
		return k, false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return k, false
		}
	}
	_, err := hex.Decode(k[:], []byte(id))
	return k, err == nil
}
