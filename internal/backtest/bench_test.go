package backtest

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/replay"
)

// cpuNow is the process's CPU time, or the wall clock where it cannot be read.
func cpuNow() time.Duration {
	if d, ok := processCPU(); ok {
		return d
	}
	return time.Duration(time.Now().UnixNano())
}

// envFloat reads a benchmark parameter from the environment.
func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkBacktestMonth measures the worker's CPU time per record (one batch of small
// synthetic files, decoded and evaluated on one goroutine: one Lambda vCPU) and the reduce's
// CPU time per file output, and reports the estimate for a month of BACKTEST_RECORDS records
// (1e9) in files of BACKTEST_RECORDS_PER_FILE (500) at BACKTEST_CONCURRENCY (1000) on
// deploy/backtest.yaml's defaults (BENCHMARKS.md, Backtest). It is small: 64 files, 19,200
// records. CPU time (getrusage), not wall time, so that other processes on a shared machine
// do not count; where it is not available, wall time.
//
//	go test ./internal/backtest -run '^$' -bench BacktestMonth -benchtime 5x
func BenchmarkBacktestMonth(b *testing.B) {
	dir := b.TempDir()
	c := synth.Default()
	c.Records, c.Files = 19_200, 64
	if _, err := synth.WriteTree(context.Background(), dir, c, 2); err != nil {
		b.Fatal(err)
	}
	rt := testRuntime(b, nil)
	src, err := replay.NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	var items []Item
	if err := ListLocal(src)(context.Background(), func(it Item) error { items = append(items, it); return nil }); err != nil {
		b.Fatal(err)
	}
	w := &Worker{Runtime: rt, Files: 1}
	r := &Reducer{Runtime: rt, Prefetch: 1}
	var worker, reduce time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s := Settings{Trail: dir, Run: b.TempDir()}
		start := cpuNow()
		res, err := w.Handle(context.Background(), Batch{Items: items, BatchInput: BatchInput{s}})
		if err != nil || res.Kept != c.Files {
			b.Fatalf("%+v, %v", res, err)
		}
		mid := cpuNow()
		if _, err := r.Reduce(context.Background(), ReduceInput{Reduce: s}, nil); err != nil {
			b.Fatal(err)
		}
		worker += mid - start
		reduce += cpuNow() - mid
	}
	b.StopTimer()
	n := float64(b.N) * float64(c.Files)
	perRecord := time.Duration(float64(worker) / n / float64(c.Records/c.Files))
	reducePerFile := time.Duration(float64(reduce) / n)
	perFile := envFloat("BACKTEST_RECORDS_PER_FILE", 500)
	wl := Workload{
		Records: envFloat("BACKTEST_RECORDS", 1e9), RecordsPerFile: perFile,
		Concurrency: int(envFloat("BACKTEST_CONCURRENCY", 1000)), BatchFiles: 50, MemoryMB: 1769,
		WorkerCPU: time.Duration(float64(perRecord) * perFile), WorkerIO: 60 * time.Millisecond,
		ReduceCPU: reducePerFile, ReduceIO: 30 * time.Millisecond, Prefetch: DefaultPrefetch,
		TransitionsPerBatch: 2,
	}
	e := wl.Estimate(USEast1)
	b.ReportMetric(float64(perRecord.Nanoseconds()), "worker-ns/record")
	b.ReportMetric(float64(reducePerFile.Microseconds()), "reduce-µs/file")
	b.ReportMetric(e.MapWall.Minutes(), "map-min")
	b.ReportMetric(e.Reduce.Minutes(), "reduce-min")
	b.ReportMetric(e.Total, "USD")
	b.Logf("estimate: %s", e)
}

// TestEstimateArithmetic pins the estimate's arithmetic on round numbers.
func TestEstimateArithmetic(t *testing.T) {
	wl := Workload{Records: 1e6, RecordsPerFile: 1000, Concurrency: 10, BatchFiles: 10, MemoryMB: 1024,
		WorkerCPU: 90 * time.Millisecond, WorkerIO: 10 * time.Millisecond, ReduceCPU: time.Millisecond, ReduceIO: 40 * time.Millisecond, Prefetch: 8,
		TransitionsPerBatch: 2}
	p := Prices{LambdaGBSecond: 1, LambdaRequest: 0, StateTransition: 1, S3Get: 0, S3PutList: 0}
	e := wl.Estimate(p)
	// 1000 files, 100 batches of 1 s each, 10 at once: 10 waves of 1 s.
	if e.Files != 1000 || e.Batches != 100 || e.MapWall != 10*time.Second {
		t.Fatalf("files %v batches %v map %v", e.Files, e.Batches, e.MapWall)
	}
	// The reduce reads 8 outputs at once: 5 ms a file, above its 1 ms of CPU.
	if e.Reduce != 5*time.Second || !e.ReduceFitsInLambda {
		t.Fatalf("reduce %v", e.Reduce)
	}
	// 1000 files x 0.1 s + 5 s of reduce, at 1 GB; 100 batches x 2 transitions + 3.
	if e.LambdaGBSeconds != 105 || e.Lambda != 105 || e.StepFns != 203 {
		t.Fatalf("GB-s %v lambda %v sfn %v", e.LambdaGBSeconds, e.Lambda, e.StepFns)
	}
}
