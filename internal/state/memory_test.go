package state

import (
	"context"
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
