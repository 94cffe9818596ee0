// Package bench is trailhound's replay benchmark (run it with `make bench` or
// `go run ./internal/bench/cmd/trailbench`): it generates a deterministic synthetic trail
// (internal/bench/synth), then measures on the same files, in one run, each variant as its own
// child process so its CPU time and peak RSS are its own:
//
//   - floor: gunzip and split into records, nothing else (Floor);
//   - replay: the real detector binary, `detector replay` with the full built-in pack;
//   - baselines: OPA alone, every record through an unprepared query (NaivePerRecord), and
//     one unprepared query per log file like `opa eval` (PerFile), both on a sample and
//     scaled; `zcat | jq` selecting the IAM records, when jq is installed;
//
// runs are interleaved (floor, replay, floor, replay, ...) after one warm-up run of each, so a
// change in the machine's load hits every variant alike, and each figure is the median of the
// runs; the replay/floor ratio is the median of the ratios of the runs taken side by side,
// by wall time and by CPU time (Pairs). With RatioOnly it measures those two alone. It also
// measures the
// cold start of the binary and the size of the stripped Lambda binary, and optionally the
// replay's peak RSS on a trail 10 times larger.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/trailhound/trailhound/internal/bench/synth"
)

// Options configure a benchmark run.
type Options struct {
	Trail   synth.Config
	Dir     string // work directory: the trail, the binaries (kept, and reused when it matches)
	Module  string // the module root, to build the detector
	Runs    int    // runs per variant; the figures are medians
	Workers int    // replay --workers, and the floor's goroutines
	// NaiveRecords and PerFileFiles size the samples the OPA baselines are measured on.
	NaiveRecords int
	PerFileFiles int
	// Grow, when > 1, also replays a trail Grow times larger and reports its peak RSS.
	Grow int
	// RatioOnly measures the floor and the replay alone (the replay/floor ratio): no
	// baselines, engine benchmark, cold start, Lambda size or grown trail.
	RatioOnly bool
	// Self is the benchmark binary, re-run as `Self child ...` for in-process variants.
	Self string
	Log  io.Writer
}

// Run performs the benchmark and returns its report.
func Run(ctx context.Context, o Options) (*Report, error) {
	r := &Report{Machine: describeMachine(), Options: o, Started: time.Now()}
	trail := filepath.Join(o.Dir, "trail")
	files, err := ensureTrail(ctx, trail, o.Trail, o.Workers, o.Log)
	if err != nil {
		return nil, err
	}
	r.TrailBytes = sizeOf(files)
	detector := filepath.Join(o.Dir, "detector")
	if err := goBuild(ctx, o.Module, detector, nil, "-trimpath", "./cmd/detector"); err != nil {
		return nil, err
	}
	variants := []variant{
		{name: "floor", cmd: func() *exec.Cmd { return o.child("floor", trail, strconv.Itoa(o.Workers)) }},
		{name: "replay", cmd: func() *exec.Cmd {
			return exec.Command(detector, "replay", "--format", "json", "--workers", strconv.Itoa(o.Workers), trail)
		}},
	}
	r.ReplayCommand = variants[1].cmd().Args[1:]
	if jq, err := exec.LookPath("jq"); err == nil && !o.RatioOnly {
		r.JQ = jq
		variants = append(variants, variant{name: "jq", cmd: func() *exec.Cmd { return jqCommand(trail) }})
	}
	if !o.RatioOnly {
		variants = append(variants,
			variant{name: "opa-per-file", scale: float64(o.PerFileFiles) / float64(len(files)), cmd: func() *exec.Cmd {
				return o.child("perfile", trail, strconv.Itoa(o.PerFileFiles))
			}},
			variant{name: "opa-per-record", scale: float64(o.NaiveRecords) / float64(o.Trail.Records), cmd: func() *exec.Cmd {
				return o.child("naive", trail, strconv.Itoa(o.NaiveRecords))
			}},
		)
	}
	// One run of the floor and the replay first, not counted: the first run of a freshly
	// built binary or of a trail just written pays for what a later run finds in memory.
	for _, v := range variants[:2] {
		fmt.Fprintf(o.Log, "warm-up: %s ...", v.name)
		s, err := v.measure(o.Trail.Records)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		fmt.Fprintf(o.Log, " %v\n", s.Wall.Round(time.Millisecond))
	}
	samples := make(map[string][]Sample)
	for run := 1; run <= o.Runs; run++ {
		for _, v := range variants {
			fmt.Fprintf(o.Log, "run %d/%d: %s ...", run, o.Runs, v.name)
			s, err := v.measure(o.Trail.Records)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
			fmt.Fprintf(o.Log, " %v, %d records\n", s.Wall.Round(time.Millisecond), s.Records)
			samples[v.name] = append(samples[v.name], s)
		}
	}
	r.Stats = map[string]Stat{}
	for _, v := range variants {
		r.Stats[v.name] = summarize(samples[v.name], v.scale)
	}
	r.Alerts = replayAlerts(samples["replay"])
	r.Pairs = pairRatios(samples["floor"], samples["replay"])
	if o.RatioOnly {
		r.Finished = time.Now()
		r.LoadAfter = loadAverage()
		return r, nil
	}
	fmt.Fprintf(o.Log, "engine benchmark (go test -bench BenchmarkEvaluate, %d runs) ...\n", o.Runs)
	if r.Evaluate, err = Evaluate(ctx, o.Module, o.Runs); err != nil {
		return nil, err
	}
	fmt.Fprintln(o.Log, "cold start and Lambda binary size ...")
	if r.ColdStart, err = coldStart(ctx, detector, o.Dir, 21); err != nil {
		return nil, err
	}
	if r.LambdaBytes, err = lambdaSize(ctx, o.Module, o.Dir); err != nil {
		return nil, err
	}
	if o.Grow > 1 {
		if r.Grown, err = o.grow(ctx, detector); err != nil {
			return nil, err
		}
	}
	r.Finished = time.Now()
	r.LoadAfter = loadAverage()
	return r, nil
}

// variant is one measured command; scale is the fraction of the trail it covers.
type variant struct {
	name  string
	scale float64
	cmd   func() *exec.Cmd
}

func (v variant) measure(trailRecords int) (Sample, error) {
	cmd := v.cmd()
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return Sample{}, err
	}
	defer devnull.Close()
	if v.name == "replay" {
		cmd.Stdout = devnull // the alerts
	}
	s, err := measure(cmd)
	if err != nil {
		return s, err
	}
	switch v.name {
	case "replay":
		s.Records, err = summaryRecords(s.Stderr)
	case "jq":
		s.Records = int64(trailRecords) // jq reads every record; it prints the IAM count
	default:
		s.Records, err = strconv.ParseInt(string(trimSpace(s.Stdout)), 10, 64)
	}
	return s, err
}

// child runs this benchmark binary's in-process variants.
func (o Options) child(args ...string) *exec.Cmd {
	return exec.Command(o.Self, append([]string{"child"}, args...)...)
}

// jqCommand decompresses every log file and selects the IAM records with jq, counting them.
func jqCommand(trail string) *exec.Cmd {
	script := `find "$1" -name '*.json.gz' | sort | xargs zcat | jq -c '.Records[] | select(.eventSource == "iam.amazonaws.com")' | wc -l`
	return exec.Command("sh", "-c", script, "sh", trail)
}

var recordsRE = regexp.MustCompile(`replay: (\d+) records:.*; (\d+) alerts`)

// summaryRecords reads the record count from the replay's outcome summary.
func summaryRecords(stderr []byte) (int64, error) {
	m := recordsRE.FindSubmatch(stderr)
	if m == nil {
		return 0, fmt.Errorf("no outcome summary in the replay's stderr:\n%s", tail(stderr))
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

func replayAlerts(samples []Sample) int64 {
	if len(samples) == 0 {
		return 0
	}
	m := recordsRE.FindSubmatch(samples[0].Stderr)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(m[2]), 10, 64)
	return n
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// ensureTrail writes the trail under dir, unless dir already holds the trail of this config
// (its manifest says so), and returns its files.
func ensureTrail(ctx context.Context, dir string, c synth.Config, workers int, log io.Writer) ([]string, error) {
	manifest := dir + ".json" // beside the trail, not in it: replay would read it
	if b, err := os.ReadFile(manifest); err == nil {
		var have synth.Config
		if json.Unmarshal(b, &have) == nil && reflect.DeepEqual(have, c) {
			fmt.Fprintf(log, "reusing the trail in %s\n", dir)
			return LogFiles(dir)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	start := time.Now()
	fmt.Fprintf(log, "generating %d records in %d files under %s ...", c.Records, c.Files, dir)
	if _, err := synth.WriteTree(ctx, dir, c, workers); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, " %v\n", time.Since(start).Round(time.Millisecond))
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		return nil, err
	}
	return LogFiles(dir)
}

func sizeOf(files []string) int64 {
	var n int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

// goBuild builds pkg (relative to the module root) into out.
func goBuild(ctx context.Context, module, out string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", out}, args...)...)
	cmd.Dir = module
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %w\n%s", args, err, b)
	}
	return nil
}
