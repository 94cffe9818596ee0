// Package startgc owns the garbage collector's settings while a process starts: a relaxed GC
// percent while rule packs are parsed and compiled (RelaxGC), and the collector held off from
// the built-in pack's package initialisation until shortly after the first engine is compiled
// (HoldStartGC, ReleaseStartGCSoon), bounded by a memory limit. A GOGC or lower GOMEMLIMIT the
// user set is left alone.
package startgc

import (
	"runtime/debug"
	"sync"
	"time"
)

// loadGCPercent is the GC percent while packs are loaded and compiled. Loading allocates
// several times its live heap in short-lived parser and compiler garbage within tens of
// milliseconds; at the default 100, a cold start collects three or four times on a young
// heap whose goal is 4 MB. At 400 the built-in pack loads without a collection.
const loadGCPercent = 400

var gcHold struct {
	sync.Mutex
	n    int // holders
	prev int // the GC percent to restore when the last holder releases
}

// RelaxGC raises the GC percent to loadGCPercent, unless it is already higher or off, until
// the returned function is called. Holds nest and may overlap across goroutines; the
// percent in force before the first is restored when the last is released.
func RelaxGC() (release func()) {
	gcHold.Lock()
	if gcHold.n == 0 {
		gcHold.prev = debug.SetGCPercent(loadGCPercent)
		if gcHold.prev < 0 || gcHold.prev > loadGCPercent {
			debug.SetGCPercent(gcHold.prev)
		}
	}
	gcHold.n++
	gcHold.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			gcHold.Lock()
			defer gcHold.Unlock()
			if gcHold.n--; gcHold.n == 0 {
				debug.SetGCPercent(gcHold.prev)
			}
		})
	}
}

// startMemoryLimit bounds the Go heap while the collector is off at start (HoldStartGC): the
// heap of a cold start with the built-in pack reaches about 21 MB before its first event, so
// at this bound it collects nothing, and an unusual start (a large team pack) collects as the
// limit nears instead of growing without bound.
const startMemoryLimit = 64 << 20

var start struct {
	held      bool
	gen       int // holds so far, so that a timer ends only the hold it was set for
	prevLimit int64
}

// HoldStartGC turns the collector off, bounded by startMemoryLimit, until ReleaseStartGC:
// from package initialisation (internal/rule/builtin) until its first event is evaluated, a
// process allocates its pack's parser and compiler garbage (about 21 MB, of which 9 MB stay)
// and would otherwise collect it as soon as the load's relaxed GC percent is restored, for
// nothing it keeps. A GC percent other than the default (GOGC set) is left alone, and a lower
// memory limit (GOMEMLIMIT) is kept.
func HoldStartGC() {
	gcHold.Lock()
	defer gcHold.Unlock()
	if start.held || gcHold.n > 0 {
		return
	}
	if prev := debug.SetGCPercent(-1); prev != 100 {
		debug.SetGCPercent(prev)
		return
	}
	start.held = true
	start.gen++
	start.prevLimit = debug.SetMemoryLimit(-1)
	if start.prevLimit > startMemoryLimit {
		debug.SetMemoryLimit(startMemoryLimit)
	}
	// A process that never compiles an engine (detector version, rules test) collects as
	// usual after startMax.
	time.AfterFunc(startMax, releaseStartGen(start.gen))
}

// startMax bounds the start hold for a process that never compiles an engine.
const startMax = 5 * time.Second

// startGrace is how long the collector stays off after the first engine is compiled: long
// enough for a scan's or a Lambda invocation's first event, short enough that a long-running
// process collects as usual from then on.
const startGrace = time.Second

// ReleaseStartGCSoon ends HoldStartGC's hold startGrace from now, on another goroutine.
func ReleaseStartGCSoon() {
	gcHold.Lock()
	held, gen := start.held, start.gen
	gcHold.Unlock()
	if held {
		time.AfterFunc(startGrace, releaseStartGen(gen))
	}
}

// releaseStartGen returns a function that ends the start hold if it is still hold number gen.
func releaseStartGen(gen int) func() {
	return func() {
		gcHold.Lock()
		current := start.held && start.gen == gen
		gcHold.Unlock()
		if current {
			ReleaseStartGC()
		}
	}
}

// ReleaseStartGC ends HoldStartGC's hold (once; later calls do nothing): the default GC
// percent and the memory limit come back, or loadGCPercent while a RelaxGC hold is on.
func ReleaseStartGC() {
	gcHold.Lock()
	defer gcHold.Unlock()
	if !start.held {
		return
	}
	start.held = false
	debug.SetMemoryLimit(start.prevLimit)
	if gcHold.n > 0 {
		gcHold.prev = 100 // what the last RelaxGC release restores
		debug.SetGCPercent(loadGCPercent)
		return
	}
	debug.SetGCPercent(100)
}
