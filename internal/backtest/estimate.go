package backtest

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// This file turns measured per-file worker and reduce times into an estimate of a backtest's
// wall time and cost on the stack of deploy/backtest.yaml (BENCHMARKS.md, Backtest). The
// prices are inputs: Prices holds the us-east-1 list prices the benchmark assumes.

// Prices are the AWS list prices an estimate assumes (USD).
type Prices struct {
	LambdaGBSecond  float64 // Lambda duration, arm64, per GB-second
	LambdaRequest   float64 // per invocation
	StateTransition float64 // Step Functions Standard, per state transition
	S3Get           float64 // per GET (or HEAD)
	S3PutList       float64 // per PUT, COPY, POST or LIST
}

// USEast1 are the us-east-1 list prices used in BENCHMARKS.md.
var USEast1 = Prices{
	LambdaGBSecond:  0.0000133334,
	LambdaRequest:   0.20 / 1e6,
	StateTransition: 0.025 / 1000,
	S3Get:           0.0004 / 1000,
	S3PutList:       0.005 / 1000,
}

// Workload is a backtest to estimate.
type Workload struct {
	Records        float64       // records in the trail (in range)
	RecordsPerFile float64       // records per log file, on average
	Concurrency    int           // MaxConcurrency
	BatchFiles     int           // MaxItemsPerBatch
	MemoryMB       int           // the function's memory (1769 MB = one vCPU)
	WorkerCPU      time.Duration // measured: one file's decode and evaluation, one core
	WorkerIO       time.Duration // assumed: one file's GET and its output's PUT
	ReduceCPU      time.Duration // measured: settling one file's output
	ReduceIO       time.Duration // assumed: one output's GET
	Prefetch       int           // outputs the reduce reads at once
	// TransitionsPerBatch are the state transitions one batch costs (its child execution's
	// states, retries aside).
	TransitionsPerBatch float64
}

// Estimate is what a Workload takes and costs.
type Estimate struct {
	Files, Batches     float64
	MapWall, Reduce    time.Duration
	LambdaGBSeconds    float64
	Lambda, StepFns    float64 // USD
	S3, Total          float64 // USD
	ReduceFitsInLambda bool    // under the 15-minute Lambda limit
}

// Estimate computes the estimate at prices p.
func (w Workload) Estimate(p Prices) Estimate {
	var e Estimate
	e.Files = math.Ceil(w.Records / w.RecordsPerFile)
	e.Batches = math.Ceil(e.Files / float64(w.BatchFiles))
	perFile := w.WorkerCPU + w.WorkerIO
	batch := time.Duration(float64(perFile) * float64(w.BatchFiles))
	waves := math.Ceil(e.Batches / float64(w.Concurrency))
	e.MapWall = time.Duration(waves * float64(batch))
	readAhead := time.Duration(float64(w.ReduceIO) / float64(max(w.Prefetch, 1)))
	e.Reduce = time.Duration(e.Files * float64(max(w.ReduceCPU, readAhead)))
	gb := float64(w.MemoryMB) / 1024
	e.LambdaGBSeconds = (e.Files*perFile.Seconds() + e.Reduce.Seconds()) * gb
	e.Lambda = e.LambdaGBSeconds*p.LambdaGBSecond + (e.Batches+1)*p.LambdaRequest
	e.StepFns = (e.Batches*w.TransitionsPerBatch + 3) * p.StateTransition
	lists := math.Ceil(e.Files/1000) * 2 // the ItemReader's listing and the reduce's
	e.S3 = e.Files*2*p.S3Get + (e.Files+lists+2*e.Batches/1000+10)*p.S3PutList
	e.Total = e.Lambda + e.StepFns + e.S3
	e.ReduceFitsInLambda = e.Reduce < 15*time.Minute
	return e
}

// String is the estimate as a few lines for BENCHMARKS.md.
func (e Estimate) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.0f files in %.0f batches; map %s wall, reduce %s", e.Files, e.Batches, e.MapWall.Round(time.Second), e.Reduce.Round(time.Second))
	if !e.ReduceFitsInLambda {
		b.WriteString(" (over the 15-minute Lambda limit)")
	}
	fmt.Fprintf(&b, "; Lambda %.0f GB-s $%.2f, Step Functions $%.2f, S3 $%.2f, total $%.2f", e.LambdaGBSeconds, e.Lambda, e.StepFns, e.S3, e.Total)
	return b.String()
}
