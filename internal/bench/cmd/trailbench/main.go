// Command trailbench is trailhound's replay benchmark (package internal/bench): it generates a
// deterministic synthetic trail and measures, on the same files, the floor (gunzip + split),
// `detector replay` with the full rule pack, OPA-only baselines and `zcat | jq`, then prints
// a Markdown report (records/s, CPU seconds per million records, peak RSS, ratios, targets).
//
//	go run ./internal/bench/cmd/trailbench                      # 1,000,000 records, 200 files, 5 runs
//	go run ./internal/bench/cmd/trailbench -records 100000 -runs 3   # a quick run
//	go run ./internal/bench/cmd/trailbench -ratio-only -runs 9       # the replay/floor ratio alone
//
// The trail and the binaries live in -dir (default: a directory under the system temp dir,
// kept and reused while the trail's settings do not change).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/trailhound/trailhound/internal/bench"
	"github.com/trailhound/trailhound/internal/bench/synth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "child" {
		if err := child(ctx, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "trailbench child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "trailbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	c := synth.Default()
	flag.IntVar(&c.Records, "records", c.Records, "records in the trail")
	flag.IntVar(&c.Files, "files", c.Files, "gzipped log files in the trail")
	flag.Uint64Var(&c.Seed, "seed", c.Seed, "seed of the synthetic trail")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "trailbench"), "work directory (trail, binaries); kept and reused")
	runs := flag.Int("runs", 5, "runs per variant (the report gives medians)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "replay --workers, and the floor's goroutines")
	naive := flag.Int("naive-records", 200, "records the per-record OPA baseline is measured on")
	perFile := flag.Int("perfile-files", 2, "log files the per-file OPA baseline is measured on")
	grow := flag.Int("grow", 0, "also replay a trail this many times larger, to compare peak RSS (e.g. 10)")
	out := flag.String("out", "", "also write the report to this file")
	ratioOnly := flag.Bool("ratio-only", false, "measure only the floor and the replay (their ratio): no baselines, engine benchmark, cold start or Lambda size")
	flag.Parse()
	module, err := moduleRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	r, err := bench.Run(ctx, bench.Options{
		Trail: c, Dir: *dir, Module: module, Runs: *runs, Workers: *workers,
		NaiveRecords: min(*naive, c.Records), PerFileFiles: min(*perFile, c.Files), Grow: *grow, RatioOnly: *ratioOnly,
		Self: self, Log: os.Stderr,
	})
	if err != nil {
		return err
	}
	var b strings.Builder
	r.Markdown(&b)
	fmt.Print(b.String())
	if *out != "" {
		return os.WriteFile(*out, []byte(b.String()), 0o644)
	}
	return nil
}

// moduleRoot is the directory of the go.mod the benchmark builds the detector from.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run trailbench inside the trailhound module")
	}
	return filepath.Dir(mod), nil
}

// child runs one in-process variant and prints the number of records it covered.
func child(ctx context.Context, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: child floor|naive|perfile DIR N")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	files, err := bench.LogFiles(args[1])
	if err != nil {
		return err
	}
	var records int64
	switch args[0] {
	case "floor":
		records, err = bench.Floor(files, n)
	case "naive":
		records, err = bench.NaivePerRecord(ctx, files, n)
	case "perfile":
		records, err = bench.PerFile(ctx, files, n)
	default:
		return fmt.Errorf("unknown variant %q", args[0])
	}
	if err != nil {
		return err
	}
	fmt.Println(records)
	return nil
}
