package engine

import (
	"os"
	"strconv"
	"strings"
)

// runnableOthers is how many tasks besides the caller the kernel has runnable right now (the
// fourth field of /proc/loadavg, less the caller's own thread); 0 when it cannot be read.
func runnableOthers() int {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	n, ok := runnableTasks(string(b))
	if !ok {
		return 0
	}
	return max(n-1, 0)
}

// runnableTasks reads the runnable count of /proc/loadavg: "0.50 0.40 0.30 2/139 1887" -> 2.
func runnableTasks(loadavg string) (int, bool) {
	fields := strings.Fields(loadavg)
	if len(fields) < 4 {
		return 0, false
	}
	r, _, ok := strings.Cut(fields[3], "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(r)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
