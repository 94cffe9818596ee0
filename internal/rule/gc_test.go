package rule

import (
	"runtime/debug"
	"testing"
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
