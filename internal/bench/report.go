package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Report is what a benchmark run measured.
type Report struct {
	Machine     Machine
	Options     Options
	Started     time.Time
	Finished    time.Time
	LoadAfter   string
	TrailBytes  int64
	JQ          string // path of jq, "" when it is not installed
	Stats       map[string]Stat
	Alerts      int64
	ColdStart   time.Duration
	LambdaBytes int64
	Grown       *Grown
	Evaluate    []EvalStat // the engine benchmark, per record set
	// Pairs are the replay/floor ratios run by run; ReplayCommand is the replay's arguments.
	Pairs         Pairs
	ReplayCommand []string
}

// ratio is the replay/floor figure the report gives and checks: the median of the ratios of
// runs taken side by side (records/s, so by wall time from process start to exit), which a
// drift of the machine's load during the benchmark moves less than a ratio of two medians.
func (r *Report) ratio() float64 {
	med, _, _ := spread(r.Pairs.Wall)
	return med
}

// Target limits of the replay benchmark (BENCHMARKS.md).
const (
	targetFloorRatio   = 0.8
	targetEvalNs       = 60_000
	targetEvalAllocs   = 500
	targetColdStart    = 25 * time.Millisecond
	targetLambdaBytes  = 25_000_000 // MB are 10^6 bytes throughout the report
	targetRSSPerWorker = 150_000_000
	targetVsOPAFile    = 10.0
	targetVsJQ         = 4.0
)

// rows are the table's variants, in order, with their descriptions.
var rows = []struct{ name, what string }{
	{"floor", "floor: gunzip + split into records, nothing else"},
	{"replay", "`detector replay`, full built-in pack (real binary)"},
	{"jq", "`zcat \\| jq` selecting the IAM records"},
	{"opa-per-file", "OPA per log file, unprepared (`opa eval` style)"},
	{"opa-per-record", "OPA per record, unprepared `rego.New(...).Eval`"},
}

// Markdown writes the report: the machine, the results table and the targets.
func (r *Report) Markdown(w io.Writer) {
	m := r.Machine
	o := r.Options
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %d MB memory, Linux %s, %s. Load average %s at the start, %s at the end (1/5/15 min; the machine is shared).\n\n",
		m.CPUs, m.CPUModel, m.MemoryMB, m.Kernel, m.GoVersion, m.LoadStart, r.LoadAfter)
	fmt.Fprintf(w, "Trail: %d records in %d gzipped log files (%.0f MB; seed %d; %.1f%% IAM), %d workers; median of %d runs, interleaved. %s.\n\n",
		o.Trail.Records, o.Trail.Files, float64(r.TrailBytes)/1e6, o.Trail.Seed, o.Trail.IAMPercent, o.Workers, o.Runs, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	replay := r.Stats["replay"]
	fmt.Fprintln(w, "| variant | records/s | CPU s / 1M records | peak RSS | replay/floor or replay speed-up |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, row := range rows {
		st, ok := r.Stats[row.name]
		if !ok {
			if row.name == "jq" && !o.RatioOnly {
				fmt.Fprintf(w, "| %s | not measured: jq is not installed | | | |\n", row.what)
			}
			continue
		}
		what := row.what
		if st.Scale > 0 && st.Scale < 1 {
			what += fmt.Sprintf(" (measured on %d records, %.2g%% of the trail, scaled)", st.Records, st.Scale*100)
		}
		ratio := ""
		switch row.name {
		case "floor":
			ratio = "1"
		case "replay":
			ratio = fmt.Sprintf("**%.2f** of the floor", r.ratio())
		default:
			ratio = fmt.Sprintf("replay is **%.1fx** faster", replay.RecordsPerSec/st.RecordsPerSec)
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %s | %s |\n", what, rate(st.RecordsPerSec), st.CPUPerMillion.Seconds(), mb(st.MaxRSS), ratio)
	}
	r.ratioNote(w)
	fmt.Fprintf(w, "\nThe replay raised %d alerts (alert output to /dev/null).", r.Alerts)
	if r.JQ != "" {
		fmt.Fprint(w, " Peak RSS of the jq row is the largest process of the pipeline.")
	}
	fmt.Fprintln(w)
	if g := r.Grown; g != nil {
		fmt.Fprintf(w, "\nTrail x%d (%d records, %d files of the same size): replay %s records/s, peak RSS %s (x1: %s); median of %d runs.\n",
			g.Factor, g.Records, o.Trail.Files*g.Factor, rate(g.Stat.RecordsPerSec), mb(g.Stat.MaxRSS), mb(replay.MaxRSS), g.Stat.Runs)
	}
	if o.RatioOnly {
		r.targets(w)
		return
	}
	if len(r.Evaluate) > 0 {
		fmt.Fprintln(w, "\nSelected IAM records through the full pack (`go test -bench BenchmarkEvaluate ./internal/engine/`: parse + the rules the event selects, and the caller when a rule alerts; medians of the runs):")
		fmt.Fprintln(w, "\n| records | median ns/event | mean ns/event | allocs/event |")
		fmt.Fprintln(w, "|---|---:|---:|---:|")
		for _, e := range r.Evaluate {
			fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f |\n", e.Name, e.P50Ns, e.MeanNs, e.Allocs)
		}
	}
	fmt.Fprintf(w, "\nCold start (`detector scan` of one alerting event, process start to exit, median of 21): %v. Stripped Lambda binary (deploy/build.sh, linux/arm64): %d bytes (%.1f MB).\n",
		r.ColdStart.Round(100*time.Microsecond), r.LambdaBytes, float64(r.LambdaBytes)/1e6)
	r.targets(w)
}

// ratioNote says how the replay/floor figure was taken, with its spread and the same ratio by
// CPU time.
func (r *Report) ratioNote(w io.Writer) {
	med, lo, hi := spread(r.Pairs.Wall)
	cmed, clo, chi := spread(r.Pairs.CPU)
	floor, replay := r.Stats["floor"], r.Stats["replay"]
	fmt.Fprintf(w, "\nReplay/floor is the median of %d ratios of runs side by side (floor, then replay), each whole processes timed from start to exit (the replay's start, its rule pack compiled, included): %.2f (runs %.2f-%.2f); the ratio of the two median rates is %.2f. By CPU time (user + system) per record: %.2f (runs %.2f-%.2f). The replay ran `detector %s` (stdout to /dev/null); the floor `trailbench child floor TRAIL %d`.\n",
		len(r.Pairs.Wall), med, lo, hi, replay.RecordsPerSec/floor.RecordsPerSec, cmed, clo, chi, strings.Join(r.ReplayCommand, " "), r.Options.Workers)
}

// targets writes each target with the measured figure.
func (r *Report) targets(w io.Writer) {
	replay := r.Stats["replay"]
	fmt.Fprintln(w, "\n| target | measured | |")
	fmt.Fprintln(w, "|---|---:|---|")
	check := func(name, measured string, ok bool) {
		verdict := "met"
		if !ok {
			verdict = "**missed**"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", name, measured, verdict)
	}
	ratio := r.ratio()
	check("replay >= 0.8 of the floor", fmt.Sprintf("%.2f", ratio), ratio >= targetFloorRatio)
	if r.Options.RatioOnly {
		return
	}
	if st, ok := r.Stats["opa-per-file"]; ok {
		x := replay.RecordsPerSec / st.RecordsPerSec
		check(">= 10x faster than OPA per log file", fmt.Sprintf("%.1fx", x), x >= targetVsOPAFile)
	}
	if st, ok := r.Stats["jq"]; ok {
		x := replay.RecordsPerSec / st.RecordsPerSec
		check(">= 4x faster than `zcat \\| jq`", fmt.Sprintf("%.1fx", x), x >= targetVsJQ)
	}
	for _, e := range r.Evaluate {
		if e.Name == "mixed" {
			check("selected IAM record < 60 us median", fmt.Sprintf("%.0f us", e.P50Ns/1000), e.P50Ns < targetEvalNs)
			check("selected IAM record < 500 allocs", fmt.Sprintf("%.0f", e.Allocs), e.Allocs < targetEvalAllocs)
		}
	}
	perWorker := replay.MaxRSS / int64(max(r.Options.Workers, 1))
	check("peak RSS < 150 MB per worker", fmt.Sprintf("%s per worker (%s, %d workers)", mb(perWorker), mb(replay.MaxRSS), r.Options.Workers), perWorker < targetRSSPerWorker)
	if g := r.Grown; g != nil {
		growth := float64(g.Stat.MaxRSS) / float64(replay.MaxRSS)
		check(fmt.Sprintf("peak RSS flat on a trail x%d", g.Factor), fmt.Sprintf("x%.2f (%s -> %s)", growth, mb(replay.MaxRSS), mb(g.Stat.MaxRSS)), growth < 1.25)
	}
	check("cold start < 25 ms median", r.ColdStart.Round(100*time.Microsecond).String(), r.ColdStart < targetColdStart)
	check("stripped Lambda binary < 25 MB", fmt.Sprintf("%d bytes", r.LambdaBytes), r.LambdaBytes < targetLambdaBytes)
}

func rate(v float64) string {
	switch {
	case v >= 1e4:
		return groupThousands(int64(v))
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }
