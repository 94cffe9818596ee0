package startgc

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestRelaxGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	outer := RelaxGC()
	inner := RelaxGC()
	if got := debug.SetGCPercent(loadGCPercent); got != loadGCPercent {
		t.Fatalf("GC percent while held = %d, want %d", got, loadGCPercent)
	}
	outer()
	outer() // releasing twice releases once
	if got := debug.SetGCPercent(loadGCPercent); got != loadGCPercent {
		t.Fatalf("GC percent after the outer release = %d, want %d (the inner hold is still on)", got, loadGCPercent)
	}
	inner()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent after the last release = %d, want 100", got)
	}

	debug.SetGCPercent(1000) // a higher setting is left alone
	release := RelaxGC()
	if got := debug.SetGCPercent(1000); got != 1000 {
		t.Fatalf("GC percent held over 1000 = %d, want 1000", got)
	}
	release()
	if got := debug.SetGCPercent(100); got != 1000 {
		t.Fatalf("GC percent after release = %d, want 1000", got)
	}
}

func TestStartGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	prevLimit := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prevLimit)

	HoldStartGC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent while the start hold is on = %d, want -1 (off)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != min(prevLimit, startMemoryLimit) {
		t.Fatalf("memory limit while the start hold is on = %d, want %d", got, min(prevLimit, startMemoryLimit))
	}
	// A load during the hold keeps the collector off, and a release of the start hold while
	// the load is on leaves the load's percent, then the default once the load ends.
	release := RelaxGC()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent while a load holds during the start hold = %d, want -1", got)
	}
	ReleaseStartGC()
	ReleaseStartGC() // a second release does nothing
	if got := debug.SetGCPercent(loadGCPercent); got != loadGCPercent {
		t.Fatalf("GC percent after the start hold, a load still on = %d, want %d", got, loadGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != prevLimit {
		t.Fatalf("memory limit after the start hold = %d, want %d", got, prevLimit)
	}
	release()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent after everything = %d, want 100", got)
	}

	// GOGC set (a percent other than the default) is left alone.
	debug.SetGCPercent(50)
	HoldStartGC()
	if got := debug.SetGCPercent(50); got != 50 {
		t.Fatalf("GC percent with GOGC=50 under the start hold = %d, want 50", got)
	}
	ReleaseStartGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Fatalf("GC percent with GOGC=50 after the start hold = %d, want 50", got)
	}
}

func TestReleaseStartGCSoon(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	prevLimit := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prevLimit)

	HoldStartGC()
	ReleaseStartGCSoon()
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Fatalf("GC percent right after ReleaseStartGCSoon = %d, want -1 (still off)", got)
	}
	// The release comes startGrace later, on a timer: wait for it without timing it.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		gcHold.Lock()
		held := start.held
		gcHold.Unlock()
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the start hold was not released")
		}
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent after the release = %d, want 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != prevLimit {
		t.Fatalf("memory limit after the release = %d, want %d", got, prevLimit)
	}
}

func TestBatch(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prevLimit)

	// A batch ends the start hold and sets its percent and limit; restoring brings back the
	// default, once.
	HoldStartGC()
	restore := Batch()
	if got := debug.SetGCPercent(batchGCPercent); got != batchGCPercent {
		t.Fatalf("GC percent in a batch = %d, want %d", got, batchGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != batchMemoryLimit {
		t.Fatalf("memory limit in a batch = %d, want %d", got, batchMemoryLimit)
	}
	if start.held {
		t.Fatal("the start hold is still on in a batch")
	}
	if again := Batch(); debug.SetGCPercent(batchGCPercent) != batchGCPercent {
		t.Fatal("a second batch changed the percent")
	} else {
		again() // restores nothing: the first batch is still on
	}
	if got := debug.SetMemoryLimit(-1); got != batchMemoryLimit {
		t.Fatalf("memory limit after a nested batch's restore = %d, want %d", got, batchMemoryLimit)
	}
	restore()
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent after the batch = %d, want 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit after the batch = %d, want none", got)
	}

	// A load during a batch keeps the load's percent and restores the batch's.
	restore = Batch()
	release := RelaxGC()
	release()
	if got := debug.SetGCPercent(batchGCPercent); got != batchGCPercent {
		t.Fatalf("GC percent after a load in a batch = %d, want %d", got, batchGCPercent)
	}
	restore()

	// GOGC set is left alone, and so is GOMEMLIMIT (lower or higher than the batch's).
	debug.SetGCPercent(50)
	restore = Batch()
	if got := debug.SetGCPercent(50); got != 50 {
		t.Fatalf("GC percent with GOGC=50 in a batch = %d, want 50", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit with GOGC=50 in a batch = %d, want none", got)
	}
	restore()
	debug.SetGCPercent(100)
	for _, user := range []int64{64 << 20, 1 << 30} {
		debug.SetMemoryLimit(user)
		restore = Batch()
		if got := debug.SetGCPercent(100); got != 100 {
			t.Fatalf("GC percent with GOMEMLIMIT=%d in a batch = %d, want 100", user, got)
		}
		if got := debug.SetMemoryLimit(-1); got != user || batch.on {
			t.Fatalf("memory limit with GOMEMLIMIT=%d in a batch = %d (batch on: %v), want the user's", user, got, batch.on)
		}
		restore()
		if got := debug.SetMemoryLimit(math.MaxInt64); got != user {
			t.Fatalf("memory limit after the batch = %d, want the user's %d", got, user)
		}
	}
}

func TestBatchLimit(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, batchMemoryLimit},
		{40 << 20, batchMemoryLimit},
		{56 << 20, batchMemoryLimit},
		{100 << 20, 200<<20 + batchHeadroom},
		{math.MaxUint64, math.MaxInt64/2 - 1 + batchHeadroom},
	} {
		if got := batchLimit(c.live); got != c.want {
			t.Errorf("batchLimit(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// TestBatchFollowsLiveHeap holds a live heap over half the batch limit: after a collection
// the limit is twice the live heap plus the headroom, and after the heap is freed it comes
// back to the batch limit.
func TestBatchFollowsLiveHeap(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prevLimit)
	limits := make(chan int64, 1)
	watched = func(l int64) {
		select {
		case limits <- l:
		default:
		}
	}
	defer func() {
		gcHold.Lock()
		watched = nil
		gcHold.Unlock()
	}()
	restore := Batch()
	defer restore()

	wait := func(ok func(int64) bool) int64 {
		for {
			runtime.GC()
			if l := <-limits; ok(l) {
				return l
			}
		}
	}
	const held = 100 << 20
	func() {
		live := make([]byte, held)
		if l := wait(func(l int64) bool { return l >= 2*held+batchHeadroom }); l > 2*(held+16<<20)+batchHeadroom {
			t.Fatalf("limit with %d bytes live = %d, want about %d", held, l, 2*held+batchHeadroom)
		}
		runtime.KeepAlive(live)
	}()
	wait(func(l int64) bool { return l == batchMemoryLimit })
}
