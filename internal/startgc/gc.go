// Package startgc owns the garbage collector's settings: while a process starts, a relaxed GC
// percent while rule packs are parsed and compiled (RelaxGC), and the collector held off from
// the built-in pack's package initialisation until shortly after the first engine is compiled
// (HoldStartGC, ReleaseStartGCSoon), bounded by a memory limit; and for the CLI's batch
// commands, a higher GC percent bounded by a memory limit (Batch). A GOGC the user set is left
// alone, and so is a lower GOMEMLIMIT (any GOMEMLIMIT, for Batch).
package startgc

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
	releaseStartLocked()
}

// releaseStartLocked is ReleaseStartGC with gcHold locked.
func releaseStartLocked() {
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

// batchGCPercent is the GC percent of a batch command (Batch). A replay allocates about 580
// bytes of short-lived garbage per byte of its live heap (records, their parsed input, the
// evaluator's bindings) over a million records; at the default 100 it collects about twenty
// times, each marking the compiled rule pack and the windows again. The percent alone would
// let the heap grow to five times the live heap: batchMemoryLimit is the bound.
const batchGCPercent = 400

// batchMemoryLimit bounds the memory of a batch command while its live heap is small: with
// it, the replay of the 1,000,000-record benchmark trail (live heap 35-55 MB) peaks at the
// same resident set as at the default GC percent (about 145 MB) and collects half as often.
const batchMemoryLimit = 128 << 20

// batchHeadroom is added to twice the live heap when the limit follows it (see Batch): what
// the runtime holds besides the heap (stacks, its own metadata, free pages not yet returned).
const batchHeadroom = 16 << 20

var batch struct {
	on          bool
	gen         int   // batches so far, so a watch ends with the batch it was set for
	prevLimit   int64 // the memory limit to restore
	prevPercent int   // the GC percent to restore
}

// Batch sets the collector for a batch command (a replay, a local backtest) until the
// returned function is called: the start hold (HoldStartGC) ends now, since a batch's heap
// outgrows the hold's bound within its first files and would collect at that bound for the
// rest of the hold; the GC percent becomes batchGCPercent and the memory limit
// batchMemoryLimit. So the heap stays under max(batchMemoryLimit, about twice the live heap):
// after every collection the limit is raised to twice the live heap plus batchHeadroom when
// that is more, so a batch whose live heap grows (large dedup windows) never collects more
// often than at the default GC percent, and the limit comes back down when it shrinks.
// A GC percent (GOGC) or a memory limit (GOMEMLIMIT) the user set is left alone: then only
// the start hold ends. The Lambda function never calls it.
func Batch() (restore func()) {
	gcHold.Lock()
	defer gcHold.Unlock()
	releaseStartLocked()
	percent := gcHold.prev
	if gcHold.n == 0 {
		percent = debug.SetGCPercent(-1)
		debug.SetGCPercent(percent)
	}
	if batch.on || percent != 100 {
		return func() {}
	}
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		return func() {} // GOMEMLIMIT set
	}
	batch.on, batch.gen = true, batch.gen+1
	batch.prevPercent = percent
	batch.prevLimit = debug.SetMemoryLimit(batchMemoryLimit)
	setPercentLocked(batchGCPercent)
	armWatch(batch.gen)
	gen := batch.gen
	var once sync.Once
	return func() {
		once.Do(func() {
			gcHold.Lock()
			defer gcHold.Unlock()
			if !batch.on || batch.gen != gen {
				return
			}
			batch.on = false
			debug.SetMemoryLimit(batch.prevLimit)
			setPercentLocked(batch.prevPercent)
		})
	}
}

// setPercentLocked sets the GC percent in force outside RelaxGC holds: now, or when the last
// hold is released.
func setPercentLocked(p int) {
	if gcHold.n > 0 {
		gcHold.prev = p
		return
	}
	debug.SetGCPercent(p)
}

// batchLimit is the memory limit of a batch whose live heap is live bytes.
func batchLimit(live uint64) int64 {
	return max(batchMemoryLimit, 2*int64(min(live, math.MaxInt64/4))+batchHeadroom)
}

// sentinel is an object whose finalizer runs once after the collection that finds it
// unreachable: the batch's watch, re-armed after each collection. It holds a pointer so that
// it is not a tiny allocation (finalizers of those may never run).
type sentinel struct{ _ *int }

// watched, when set (by tests), is called with the limit each watch sets, under gcHold's lock.
var watched func(limit int64)

// armWatch sets the limit of batch gen after the next collection, and again after each.
func armWatch(gen int) {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		gcHold.Lock()
		defer gcHold.Unlock()
		if !batch.on || batch.gen != gen {
			return
		}
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		if s[0].Value.Kind() == metrics.KindUint64 {
			limit := batchLimit(s[0].Value.Uint64())
			debug.SetMemoryLimit(limit)
			if watched != nil {
				watched(limit)
			}
		}
		armWatch(gen)
	})
}
