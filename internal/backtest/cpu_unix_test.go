//go:build unix

package backtest

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the process has used, garbage collection
// included: on a loaded machine a benchmark's wall time also counts the time other
// processes held the CPU.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
