package state

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryClaimRelease(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	if ok, _ := m.Claim(ctx, "a", time.Time{}); !ok {
		t.Fatal("first claim of a was not new")
	}
	if ok, _ := m.Claim(ctx, "a", time.Time{}); ok {
		t.Fatal("second claim of a was new")
	}
	if err := m.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Claim(ctx, "a", time.Time{}); !ok {
		t.Fatal("claim after release was not new")
	}
}

func TestMemoryConcurrentClaimsWinOnce(t *testing.T) {
	m := NewMemory()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := m.Claim(context.Background(), "same", time.Time{}); ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent claims won, want exactly 1", wins.Load())
	}
}

// TestMemoryForgetsIDsPastRetention: an id is remembered until claims have moved Retention
// past its event time, and no longer: a month of claims holds the ids of Retention.
func TestMemoryForgetsIDsPastRetention(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	alertID := func(i int) string { return fmt.Sprintf("%032x", i) }
	claim := func(id string, at time.Time) bool {
		t.Helper()
		ok, err := m.Claim(ctx, id, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	step := time.Minute
	n := int(30 * 24 * time.Hour / step)
	for i := range n {
		at := t0.Add(time.Duration(i) * step)
		if !claim(alertID(i), at) {
			t.Fatalf("claim %d was not new", i)
		}
		if i%7 == 0 && !claim(fmt.Sprint("other-", i), at) {
			t.Fatalf("claim other-%d was not new", i)
		}
		// A duplicate an hour later is still recognised, and so is one Retention late.
		if i >= 60 && claim(alertID(i-60), at) {
			t.Fatalf("duplicate of %d an hour later was new", i-60)
		}
	}
	end := t0.Add(time.Duration(n-1) * step)
	if claim(alertID(n-1-int(DefaultRetention/step)+int(memorySweepStep/step)), end) {
		t.Fatal("a duplicate within the retention was new")
	}
	kept := len(m.ids) + len(m.other)
	if want := int((DefaultRetention+memorySweepStep)/step)*8/7 + 2; kept > want {
		t.Fatalf("%d ids kept after 30 days of claims, want at most %d (those of the retention)", kept, want)
	}
	if !claim(alertID(0), end) {
		t.Fatal("an id 30 days old is still remembered")
	}
}

func TestMemoryCompactIDs(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	ids := []string{"0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcde", "g123456789abcdef0123456789abcdef", ""}
	for _, id := range ids {
		if ok, _ := m.Claim(ctx, id, time.Time{}); !ok {
			t.Fatalf("first claim of %q was not new", id)
		}
	}
	for _, id := range ids {
		if ok, _ := m.Claim(ctx, id, time.Time{}); ok {
			t.Fatalf("second claim of %q was new", id)
		}
	}
	if len(m.ids) != 1 || len(m.other) != len(ids)-1 {
		t.Fatalf("%d compact and %d other ids, want 1 and %d", len(m.ids), len(m.other), len(ids)-1)
	}
	for _, id := range ids {
		if err := m.Release(ctx, id); err != nil {
			t.Fatal(err)
		}
		if ok, _ := m.Claim(ctx, id, time.Time{}); !ok {
			t.Fatalf("claim of %q after its release was not new", id)
		}
	}
}
