package rule

import (
	"runtime/debug"
	"sync"
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
