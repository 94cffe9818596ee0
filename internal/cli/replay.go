package cli

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/startgc"
	"github.com/trailhound/trailhound/internal/state"
)

// cmdReplay runs the pipeline over CloudTrail log files at rest, local or in S3, with the
// same output, summary and exit status as scan (cli_pipeline.go).
func cmdReplay(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("replay", s, "replay [flags] PATH|s3://bucket/prefix")
	pf, err := addPipelineFlags(fs)
	if err != nil {
		return ExitUsage, err
	}
	start := fs.String("start", "", "replay events at or after this time: RFC 3339 (2024-03-18T09:00:00Z) or a date (2024-03-18, UTC)")
	end := fs.String("end", "", "replay events before this time: RFC 3339, or a date (that whole day included)")
	var accounts, regions stringList
	fs.Var(&accounts, "account", "replay only these accounts (12-digit ids; repeatable or comma-separated)")
	fs.Var(&regions, "region", "replay only these regions (repeatable or comma-separated)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "log files read and evaluated at once")
	lateness := fs.Duration("lateness", replay.DefaultLateness, "how long after an event CloudTrail may write the log file holding it: files named more than this after --end are not opened")
	roots, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	if len(roots) != 1 {
		return ExitUsage, usagef("want one PATH or s3://bucket/prefix, got %d", len(roots))
	}
	if *lateness <= 0 {
		return ExitUsage, usagef("--lateness: want a positive duration, got %v", *lateness)
	}
	filter, err := replayFilter(*start, *end, accounts, regions)
	if err != nil {
		return ExitUsage, err
	}
	filter.Lateness = *lateness
	if *workers < 1 {
		return ExitUsage, usagef("--workers: want at least 1, got %d", *workers)
	}
	src, err := replaySource(ctx, roots[0])
	if err != nil {
		return ExitUsage, err
	}
	run, code, err := pf.open(ctx, s)
	if err != nil {
		return code, err
	}
	if w, ok := run.p.Windows.(*state.MemoryWindows); ok {
		// Files are opened up to --lateness out of event order: windows must remember that far back.
		w.Disorder = max(state.DefaultDisorder, *lateness+5*time.Minute)
	}
	// Event times are checked against the time in each log file's name, not the wall clock.
	run.p.Clock = replay.FileClock
	opts := replay.Options{Filter: filter, Workers: *workers}
	var bar *replay.Progress
	if !*pf.quiet && isTerminal(s.err) {
		bar = &replay.Progress{W: s.err}
		opts.Progress = bar.Update
	}
	restoreGC := startgc.Batch() // the collector of a batch (memory bounded: see startgc.Batch)
	st, err := replay.Run(ctx, src, replay.PipelineHandler{P: run.p}, opts)
	restoreGC()
	if bar != nil {
		bar.Clear()
	}
	if err != nil && ctx.Err() == nil {
		return ExitPartial, fmt.Errorf("%s: %w", roots[0], err)
	}
	if !*pf.quiet {
		fmt.Fprintf(s.err, "replay: %s\n", replaySummary(st, &filter))
	}
	if st.Records == 0 && ctx.Err() == nil {
		s.errorf("replay: no CloudTrail records under %s (%d files read, %d left out by name; filter: %s)", roots[0], st.FilesDone, st.Pruned, &filter)
	}
	return run.finish(s, pf, "replay"), ctx.Err()
}

// replayFilter builds the filter from the flags.
func replayFilter(start, end string, accounts, regions stringList) (replay.Filter, error) {
	var f replay.Filter
	var err error
	if f.Start, err = replay.ParseTimeBound(start, false); err != nil {
		return f, usagef("--start: %v", err)
	}
	if f.End, err = replay.ParseTimeBound(end, true); err != nil {
		return f, usagef("--end: %v", err)
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.Start.Before(f.End) {
		// Said with the dates as typed: a date as --end stands for the end of that day.
		return f, usagef("--start %s is not before --end %s: the time range is empty", start, end)
	}
	f.Accounts, f.Regions = splitList(accounts), splitList(regions)
	if err := f.Validate(); err != nil {
		return f, usagef("%v", err)
	}
	return f, nil
}

// splitList flattens repeated, comma-separated flag values.
func splitList(l stringList) []string {
	var out []string
	for _, v := range l {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// replaySource opens a local path or an S3 prefix. S3 is read with the CLI's AWS settings
// (cliAWSConfig: the SDK's default chain; us-east-1 without a region); AWS_ENDPOINT_URL or
// AWS_ENDPOINT_URL_S3 points it at another endpoint (addressed by path, as moto wants).
func replaySource(ctx context.Context, root string) (replay.Source, error) {
	if !replay.IsS3URL(root) {
		src, err := replay.NewLocal(root)
		if err != nil {
			return nil, usagef("%v", err)
		}
		return src, nil
	}
	cfg, err := cliAWSConfig(ctx, "us-east-1")
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := awsenv.NewS3(cfg, awsenv.S3Trail)
	src, err := replay.NewS3(client, root)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return src, nil
}

// replaySummary is the replay's own line before the outcome summary.
func replaySummary(st replay.Stats, f *replay.Filter) string {
	rate := 0.0
	if secs := st.Elapsed.Seconds(); secs > 0 {
		rate = float64(st.Records) / secs
	}
	line := fmt.Sprintf("%d files read (%.1f MB; %d more left out by name; filter: %s), %d records in %s (%.0f records/s)",
		st.FilesDone, float64(st.BytesDone)/1e6, st.Pruned, f, st.Records, st.Elapsed.Round(1e6), rate)
	if st.OutOfRange > 0 {
		line += fmt.Sprintf(", %d of them outside the filter", st.OutOfRange)
	}
	return line
}
