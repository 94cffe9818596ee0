package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/bench/synth"
)

// smallTrail writes a small trail and returns its log files.
func smallTrail(t *testing.T) []string {
	t.Helper()
	c := synth.Default()
	c.Records, c.Files = 600, 4
	dir := t.TempDir()
	if _, err := synth.WriteTree(context.Background(), dir, c, 2); err != nil {
		t.Fatal(err)
	}
	files, err := LogFiles(dir)
	if err != nil || len(files) != 4 {
		t.Fatalf("files %v, %v", files, err)
	}
	return files
}

func TestVariantsCountRecords(t *testing.T) {
	files := smallTrail(t)
	ctx := context.Background()
	if n, err := Floor(files, 3); err != nil || n != 600 {
		t.Fatalf("floor: %d records, %v", n, err)
	}
	if n, err := NaivePerRecord(ctx, files, 2); err != nil || n != 2 {
		t.Fatalf("naive: %d records, %v", n, err)
	}
	if n, err := PerFile(ctx, files, 1); err != nil || n != 150 {
		t.Fatalf("per file: %d records, %v", n, err)
	}
}

func TestSummarizeTakesMedians(t *testing.T) {
	s := func(wall time.Duration, rss int64) Sample {
		return Sample{Wall: wall, CPU: 2 * wall, MaxRSS: rss, Records: 1000}
	}
	st := summarize([]Sample{s(3*time.Second, 30), s(time.Second, 10), s(2*time.Second, 20)}, 1)
	if st.Wall != 2*time.Second || st.MaxRSS != 20 || st.RecordsPerSec != 500 || st.CPUPerMillion != 4000*time.Second {
		t.Fatalf("%+v", st)
	}
}

// TestRatioIsPaired: the report's replay/floor figure is the median of the runs' own ratios,
// not a ratio of medians, and the markdown says how it was taken.
func TestRatioIsPaired(t *testing.T) {
	s := func(wall, cpu time.Duration) Sample {
		return Sample{Wall: wall, CPU: cpu, Records: 1_000_000}
	}
	// The machine slows down during the run: the floor's median and the replay's median come
	// from different runs.
	floor := []Sample{s(2*time.Second, 4*time.Second), s(3*time.Second, 5*time.Second), s(4*time.Second, 6*time.Second)}
	replay := []Sample{s(2500*time.Millisecond, 5*time.Second), s(6*time.Second, 8*time.Second), s(5*time.Second, 7500*time.Millisecond)}
	p := pairRatios(floor, replay)
	if med, lo, hi := spread(p.Wall); med != 0.8 || lo != 0.5 || hi != 0.8 {
		t.Fatalf("wall ratios %v: median %v, range %v-%v", p.Wall, med, lo, hi)
	}
	if med, _, _ := spread(p.CPU); med != 0.8 {
		t.Fatalf("CPU ratios %v: median %v", p.CPU, med)
	}
	r := &Report{Pairs: p, ReplayCommand: []string{"replay", "--format", "json", "TRAIL"},
		Stats:   map[string]Stat{"floor": summarize(floor, 1), "replay": summarize(replay, 1)},
		Options: Options{Workers: 2, RatioOnly: true}}
	var b strings.Builder
	r.Markdown(&b)
	for _, want := range []string{"**0.80** of the floor", "median of 3 ratios", "(runs 0.50-0.80)", "the ratio of the two median rates is 0.60", "`detector replay --format json TRAIL`", "| replay >= 0.8 of the floor | 0.80 | met |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "jq") || strings.Contains(b.String(), "Cold start") {
		t.Errorf("a ratio-only report names what it did not measure:\n%s", b.String())
	}
}

func TestParseEvaluate(t *testing.T) {
	out := `goos: linux
BenchmarkEvaluate/mixed-2   3000   300000 ns/op   1341 allocs/event   310000 cpu-ns-p50/event   320000 ns-p50/event   300000 ns/event
BenchmarkEvaluate/mixed-2   3000   280000 ns/op   1339 allocs/event   290000 cpu-ns-p50/event   300000 ns-p50/event   280000 ns/event
BenchmarkEvaluate/mixed-2   3000   290000 ns/op   1340 allocs/event   300000 cpu-ns-p50/event   310000 ns-p50/event   290000 ns/event
BenchmarkEvaluate/quiet-2   3000   150000 ns/op    793 allocs/event   130000 cpu-ns-p50/event   130000 ns-p50/event   150000 ns/event
PASS`
	stats, err := parseEvaluate([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 2 || stats[0].Name != "mixed" || stats[0].P50Ns != 310000 || stats[0].Allocs != 1340 || stats[0].MeanNs != 290000 || stats[1].Name != "quiet" {
		t.Fatalf("%+v", stats)
	}
	if _, err := parseEvaluate([]byte("FAIL")); err == nil {
		t.Fatal("no results accepted")
	}
}

func TestReportChecksTargets(t *testing.T) {
	r := &Report{
		Options: Options{Trail: synth.Default(), Workers: 2, Runs: 5},
		Stats: map[string]Stat{
			"floor":  {RecordsPerSec: 250000, MaxRSS: 80_000_000},
			"replay": {RecordsPerSec: 210000, MaxRSS: 200_000_000},
			"jq":     {RecordsPerSec: 25000},
		},
		Pairs:       Pairs{Wall: []float64{0.9, 0.84, 0.7}, CPU: []float64{0.8, 0.8, 0.8}},
		Evaluate:    []EvalStat{{Name: "mixed", P50Ns: 70000, Allocs: 400}},
		ColdStart:   20 * time.Millisecond,
		LambdaBytes: 30_000_000,
	}
	var b strings.Builder
	r.Markdown(&b)
	out := b.String()
	for _, want := range []string{
		"| replay >= 0.8 of the floor | 0.84 | met |",
		"| >= 4x faster than `zcat \\| jq` | 8.4x | met |",
		"| selected IAM record < 60 us median | 70 us | **missed** |",
		"| selected IAM record < 500 allocs | 400 | met |",
		"| peak RSS < 150 MB per worker | 100 MB per worker (200 MB, 2 workers) | met |",
		"| stripped Lambda binary < 25 MB | 30000000 bytes | **missed** |",
		"| `zcat \\| jq` selecting the IAM records | 25,000 |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
