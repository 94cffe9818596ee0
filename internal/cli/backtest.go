package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/backtest"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/startgc"
	"github.com/trailhound/trailhound/internal/team"
)

// cmdBacktest runs a replay as a map and a reduce (internal/backtest): on a Step Functions
// Distributed Map (deploy/backtest.yaml) with --state-machine, or in process with --local.
// Its alerts, summary and exit status are replay's for the same trail and filter.
func cmdBacktest(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("backtest", s, "backtest [flags] s3://bucket/prefix --state-machine ARN --run s3://bucket/prefix\n       detector backtest [flags] --local PATH|s3://bucket/prefix")
	format := fs.String("format", "", "output format: text, json (JSON Lines of Alert v1) or ocsf (JSON Lines of OCSF 1.6 Detection Findings); default text on a terminal, json otherwise")
	failOn := fs.String("fail-on", "", "exit with status 1 when an alert at or above this severity is raised")
	quiet := fs.Bool("quiet", false, "do not print the progress bar and the outcome summary on stderr")
	start := fs.String("start", "", "events at or after this time: RFC 3339 or a date (UTC)")
	end := fs.String("end", "", "events before this time: RFC 3339, or a date (that whole day included)")
	var accounts, regions, ruleDirs stringList
	fs.Var(&accounts, "account", "only these accounts (12-digit ids; repeatable or comma-separated)")
	fs.Var(&regions, "region", "only these regions (repeatable or comma-separated)")
	fs.Var(&ruleDirs, "rules", "team rule packs (as replay's --rules); with --state-machine they are uploaded to the run as a rules bundle")
	lateness := fs.Duration("lateness", replay.DefaultLateness, "how long after an event CloudTrail may write the log file holding it")
	local := fs.String("local", "", "run the map and the reduce in this process over PATH or s3://bucket/prefix")
	machine := fs.String("state-machine", "", "ARN of the backtest state machine (deploy/backtest.yaml) to start")
	runURL := fs.String("run", "", "where the run writes (s3://bucket/prefix; with --local also a directory, by default a temporary one)")
	signingKey := fs.String("signing-key", "", "sign the run's rules bundle with this PEM private key file (the workers verify it with RULES_PUBLIC_KEY)")
	signingAlg := fs.String("signing-alg", "", "signature algorithm of --signing-key (default: inferred)")
	deliver := fs.Bool("deliver", false, "--state-machine: the reduce also sends the alerts to the backtest function's destinations (the stack's AlertQueueUrl)")
	accept := fs.Bool("accept-failures", false, "reduce even when batches failed (within the state machine's tolerated percentage), listing the files left out")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "--local: batches processed at once")
	batchItems := fs.Int("batch-items", 4, "--local: log files per batch")
	poll := fs.Duration("poll", 5*time.Second, "--state-machine: how often to check the execution")
	reduce := fs.String("reduce", "", "reduce the state machine's run at s3://bucket/prefix (its --run) in this process: for a run too large for the reduce's 15 minutes in Lambda, or to settle it again")
	tuningFile := fs.String("tuning", "", "org tuning file (as replay's --tuning; default $"+settings.TuningConfig.Name+"); with --state-machine it travels in the run's rules bundle")
	inventory := fs.String("inventory", "", "--state-machine: the s3:// URL of an S3 Inventory manifest.json of the trail bucket (for a stack with ItemSource inventory)")
	roots, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	var trail string
	switch {
	case *reduce != "" && *local == "" && len(roots) == 0 && *machine == "":
		if !strings.HasPrefix(*reduce, "s3://") {
			return ExitUsage, usagef("--reduce: want the run's s3://bucket/prefix")
		}
	case *local != "" && len(roots) == 0 && *machine == "":
		trail = *local
	case *local == "" && len(roots) == 1 && *machine != "":
		trail = roots[0]
		if !replay.IsS3URL(trail) || !strings.HasPrefix(*runURL, "s3://") {
			return ExitUsage, usagef("--state-machine: want the trail as s3://bucket/prefix and --run s3://bucket/prefix")
		}
	default:
		return ExitUsage, usagef("want either --local PATH|s3://..., one s3://bucket/prefix with --state-machine ARN, or --reduce s3://run")
	}
	threshold, err := parseFailOn(*failOn)
	if err != nil {
		return ExitUsage, err
	}
	out, err := outputWriter(s, *format)
	if err != nil {
		return ExitUsage, err
	}
	if *lateness <= 0 || *workers < 1 || *batchItems < 1 || *poll <= 0 {
		return ExitUsage, usagef("--lateness, --workers, --batch-items and --poll must be positive")
	}
	if _, err := replayFilter(*start, *end, accounts, regions); err != nil {
		return ExitUsage, err
	}
	src := settings.LoadSources(os.Getenv)
	settings := backtest.Settings{Trail: trail, Run: *runURL, Start: *start, End: *end, Accounts: splitList(accounts), Regions: splitList(regions), Lateness: lateness.String()}
	set, err := loadRuleSet(ctx, setup.TeamDirs(ruleDirs, src))
	if err != nil {
		return ExitUsage, err
	}
	tuningFrom := setup.TuningPath(*tuningFile, src)
	if tuningFrom != "" {
		if set.Tuning, err = setup.LoadTuning(tuningFrom, set, time.Now()); err != nil {
			return ExitUsage, err
		}
	}
	for _, b := range set.Broken {
		s.errorf("%v", b)
	}
	// Broken packs' health alerts go through the pipeline's delivery, as in scan and replay,
	// so they are counted (the outcome line says how many).
	health := &pipeline.Pipeline{Sink: out}
	if err := health.DeliverHealth(ctx, set.HealthAlerts()); err != nil {
		return ExitUsage, err
	}
	p := &pipeline.Pipeline{}
	p.Rules, p.StagingRoute = set, set.HasStagingRoutes()
	settings.RulesDigest = backtest.RulesDigest(p)
	bt := &backtestRun{s: s, quiet: *quiet, set: set, health: health.Counts.Health()}
	if *reduce != "" {
		return bt.reduceRun(ctx, *reduce, out, threshold, *accept)
	}
	if *local != "" {
		if settings.Run == "" {
			dir, err := os.MkdirTemp("", "backtest-run-")
			if err != nil {
				return ExitUsage, err
			}
			defer os.RemoveAll(dir)
			settings.Run = dir
		}
		return bt.local(ctx, settings, out, threshold, *workers, *batchItems, *accept)
	}
	key, err := signingKeyOf(*signingKey, *signingAlg)
	if err != nil {
		return ExitUsage, err
	}
	return bt.stateMachine(ctx, settings, out, threshold, *machine, *inventory, setup.TeamDirs(ruleDirs, src), tuningFrom, key, *accept, *deliver, *poll)
}

// backtestRun is one backtest command.
type backtestRun struct {
	s      stdio
	quiet  bool
	set    *ruleset.Set
	health int64 // health alerts delivered before the run (broken packs)
}

// runtime is how the CLI's handlers read the trail, open the run and build pipelines: the
// rule set loaded from --rules.
func (b *backtestRun) runtime(ctx context.Context) (backtest.Runtime, *s3.Client, error) {
	cfg, err := cliAWSConfig(ctx, "us-east-1")
	if err != nil {
		return backtest.Runtime{}, nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := awsenv.NewS3(cfg, awsenv.S3Trail)
	return backtest.Runtime{
		Pipeline: func(context.Context, backtest.Settings) (*pipeline.Pipeline, error) {
			p := &pipeline.Pipeline{}
			p.Rules, p.StagingRoute = b.set, b.set.HasStagingRoutes()
			return p, nil
		},
		Trail: func(ctx context.Context, trail string) (replay.Source, error) { return replaySource(ctx, trail) },
		Store: func(_ context.Context, run string) (backtest.Store, error) {
			if replay.IsS3URL(run) {
				return backtest.NewS3Store(client, run)
			}
			return backtest.DirStore{Dir: run}, nil
		},
	}, client, nil
}

// local runs the map and the reduce in process.
func (b *backtestRun) local(ctx context.Context, st backtest.Settings, out *cliOutput, threshold rule.Severity, workers, batchItems int, accept bool) (int, error) {
	rt, client, err := b.runtime(ctx)
	if err != nil {
		return ExitUsage, err
	}
	src, err := rt.Trail(ctx, st.Trail)
	if err != nil {
		return ExitUsage, err
	}
	items := backtest.ListLocal(src)
	if replay.IsS3URL(st.Trail) {
		items = backtest.ListS3(client, st.Trail)
	}
	var bar *replay.Progress
	opts := backtest.LocalOptions{Workers: workers, BatchItems: batchItems, Accept: accept, Items: items}
	if !b.quiet && isTerminal(b.s.err) {
		bar = &replay.Progress{W: b.s.err}
		opts.Progress = func(p backtest.LocalProgress) { bar.Update(localStats(p)) }
	}
	r := &backtest.Reducer{Runtime: rt,
		OnError:    func(err error) { b.s.errorf("%v", err) },
		OnSuppress: func(o event.Origin, sup team.Suppressed) { b.s.errorf("%s: %s", o, setup.SuppressionLine(sup)) },
	}
	restoreGC := startgc.Batch() // the collector of a batch (memory bounded: see startgc.Batch)
	sum, res, err := backtest.RunLocal(ctx, &backtest.Worker{Runtime: rt, Files: 1}, r, st, opts)
	restoreGC()
	if bar != nil {
		bar.Clear()
	}
	if err != nil {
		return ExitPartial, err
	}
	store, err := rt.Store(ctx, st.Run)
	if err != nil {
		return ExitUsage, err
	}
	if !b.quiet {
		fmt.Fprintf(b.s.err, "backtest: %d items listed, %d files read (%.1f MB; %d more left out by name), %d records, %d of them outside the filter\n",
			res.Items, res.Kept, float64(res.Bytes)/1e6, res.Pruned, res.Records, res.OutOfRange)
	}
	return b.finish(ctx, store, sum, out, threshold, false)
}

// localStats maps a local run's progress onto replay's progress bar.
func localStats(p backtest.LocalProgress) replay.Stats {
	st := replay.Stats{Files: p.Batches, FilesDone: p.Done, Bytes: int64(p.Batches), BytesDone: int64(p.Done), Records: p.Result.Records, Elapsed: p.MapElapsed}
	if p.Listing {
		st.Bytes++ // the total is not known while listing
	}
	return st
}

// finish prints the reduced run: its alerts on stdout, its errors (already printed by a local
// run) and summary on stderr, and returns replay's exit status.
func (b *backtestRun) finish(ctx context.Context, store backtest.Store, sum *backtest.Summary, out *cliOutput, threshold rule.Severity, printErrors bool) (int, error) {
	alerts, err := store.Get(ctx, backtest.AlertsKey, 1<<40)
	if err != nil {
		return ExitPartial, err
	}
	sc := bufio.NewScanner(bytes.NewReader(alerts))
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		a, err := alert.Decode(sc.Bytes())
		if err != nil {
			return ExitPartial, fmt.Errorf("%s: %w", store.URL(backtest.AlertsKey), err)
		}
		if err := out.Send(ctx, []*alert.Alert{a}); err != nil {
			return ExitPartial, err
		}
	}
	if err := sc.Err(); err != nil {
		return ExitPartial, err
	}
	if printErrors {
		errs, err := store.Get(ctx, backtest.ErrorsKey, 1<<34)
		if err != nil {
			return ExitPartial, err
		}
		for _, l := range strings.Split(strings.TrimRight(string(errs), "\n"), "\n") {
			if l != "" {
				b.s.errorf("%s", l)
			}
		}
	}
	for _, f := range sum.LeftOut {
		b.s.errorf("left out (its batch failed): %s", f)
	}
	if !b.quiet {
		fmt.Fprintf(b.s.err, "backtest: %s%s\n", sum.Outcome, pipeline.HealthSuffix(b.health))
	}
	code := ExitOK
	sev, _ := rule.ParseSeverity(sum.MaxSeverity)
	switch {
	case sum.Failed || len(sum.LeftOut) > 0 || len(b.set.Broken) > 0:
		code = ExitPartial
	case threshold.Valid() && sum.MaxSeverity != "" && sev >= threshold:
		code = ExitAlert
	}
	return code, nil
}

// parseFailOn reads --fail-on.
func parseFailOn(v string) (rule.Severity, error) {
	if v == "" {
		return 0, nil
	}
	sev, err := rule.ParseSeverity(v)
	if err != nil {
		return 0, usagef("--fail-on: %v", err)
	}
	return sev, nil
}

// outputWriter is the alert output for --format: scan's and replay's (text in colour on a
// terminal unless NO_COLOR, an update as one line).
func outputWriter(s stdio, format string) (*cliOutput, error) {
	return newCLIOutput(s.out, format, "auto", settings.LoadTerminal(os.Getenv))
}

// signingKeyOf loads --signing-key, as `rules bundle` does.
func signingKeyOf(file, alg string) (*bundle.Key, error) {
	if file == "" {
		return nil, nil
	}
	material := file
	if strings.HasPrefix(strings.ToUpper(alg), "HS") {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--signing-key: %v", err)
		}
		material = string(b)
	}
	key, err := bundle.LoadKey(material, alg)
	if err != nil {
		return nil, usagef("--signing-key: %v", err)
	}
	return key, nil
}

// rulesBundleOf writes the team packs of dirs, and the tuning file when given, as a bundle
// (signed with key when given), as `rules bundle` does.
func rulesBundleOf(ctx context.Context, dirs []string, tuningFile string, key *bundle.Key) ([]byte, error) {
	var sources []team.Source
	var err error
	if len(dirs) > 0 {
		if sources, err = team.Dirs(dirs); err != nil {
			return nil, usagef("--rules: %v", err)
		}
	}
	opts := bundle.WriteOptions{Key: key, Now: time.Now(), Revision: "backtest"}
	if tuningFile != "" {
		if opts.Tuning, err = tuningJSON(ctx, tuningFile, dirs); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, sources, opts); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
