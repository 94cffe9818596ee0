//go:build !unix

package backtest

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
