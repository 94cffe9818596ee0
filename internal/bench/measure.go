package bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// Sample is one measured run of a child process.
type Sample struct {
	Wall    time.Duration
	CPU     time.Duration // user + system, the child's and its waited-for descendants'
	MaxRSS  int64         // peak resident set, bytes (the largest of the process tree)
	Records int64         // records the run covered
	Stdout  []byte
	Stderr  []byte
}

// measure runs cmd to completion and reads its resource usage from wait4.
func measure(cmd *exec.Cmd) (Sample, error) {
	var out, errb bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	s := Sample{Wall: time.Since(start), Stdout: out.Bytes(), Stderr: errb.Bytes()}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			s.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			s.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	if err != nil {
		return s, fmt.Errorf("%s: %w\n%s", cmd.String(), err, tail(errb.Bytes()))
	}
	return s, nil
}

// tail is the end of a child's stderr, for error messages.
func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Stat is the median of several samples of one variant, per record.
type Stat struct {
	Runs          int
	Records       int64         // records one run covers (as measured, before any scaling)
	Scale         float64       // measured on a sample: Records are this fraction of the trail
	Wall          time.Duration // median
	RecordsPerSec float64       // median
	CPUPerMillion time.Duration // median CPU time per 1,000,000 records
	MaxRSS        int64         // median peak RSS
}

// summarize takes the medians of samples; scale is the fraction of the trail one run covers.
func summarize(samples []Sample, scale float64) Stat {
	st := Stat{Runs: len(samples), Scale: scale}
	if len(samples) == 0 {
		return st
	}
	st.Records = samples[0].Records
	st.Wall = median(samples, func(s Sample) float64 { return float64(s.Wall) }, func(v float64) time.Duration { return time.Duration(v) })
	st.RecordsPerSec = median(samples, func(s Sample) float64 { return float64(s.Records) / s.Wall.Seconds() }, func(v float64) float64 { return v })
	st.CPUPerMillion = median(samples, func(s Sample) float64 { return float64(s.CPU) * 1e6 / float64(max(s.Records, 1)) }, func(v float64) time.Duration { return time.Duration(v) })
	st.MaxRSS = median(samples, func(s Sample) float64 { return float64(s.MaxRSS) }, func(v float64) int64 { return int64(v) })
	return st
}

// median of f over samples (the mean of the middle two for an even count), converted by to.
func median[T any](samples []Sample, f func(Sample) float64, to func(float64) T) T {
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return to(m)
}

// Pairs are the replay/floor ratios of runs taken side by side: run i of the floor and run i
// of the replay, one right after the other. Their median is the report's ratio; their range
// shows how much the machine moved between runs.
type Pairs struct {
	Wall []float64 // replay records/s over floor records/s, per run
	CPU  []float64 // floor CPU per record over replay CPU per record, per run
}

// pairRatios pairs the floor's and the replay's samples run by run.
func pairRatios(floor, replay []Sample) Pairs {
	var p Pairs
	for i := range min(len(floor), len(replay)) {
		f, r := floor[i], replay[i]
		if f.Records == 0 || r.Records == 0 || f.Wall <= 0 || r.Wall <= 0 || r.CPU <= 0 {
			continue
		}
		p.Wall = append(p.Wall, (float64(r.Records)/r.Wall.Seconds())/(float64(f.Records)/f.Wall.Seconds()))
		p.CPU = append(p.CPU, (float64(f.CPU)/float64(f.Records))/(float64(r.CPU)/float64(r.Records)))
	}
	return p
}

// spread is the median, the smallest and the largest of v (zeros when v is empty).
func spread(v []float64) (med, lo, hi float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med = s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return med, s[0], s[len(s)-1]
}
