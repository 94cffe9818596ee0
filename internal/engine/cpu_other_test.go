//go:build !linux

package engine

import "time"

// threadCPU is only available on Linux.
func threadCPU() (time.Duration, bool) { return 0, false }
