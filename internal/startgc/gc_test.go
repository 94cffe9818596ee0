package startgc

import (
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
