package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

// This file is what scan and replay share: their output, rule and enrichment flags, the
// pipeline they run records through (alerts on stdout, errors and the outcome summary on
// stderr, windows and idempotency in memory) and the exit status.

// pipelineFlags are the flags of the commands that run records through the pipeline.
type pipelineFlags struct {
	format   *string
	color    *string
	failOn   *string
	quiet    *bool
	enrich   *bool
	ruleDirs stringList
	tuning   *string
	diff     *bool
}

// addPipelineFlags defines the shared flags on fs.
func addPipelineFlags(fs *flag.FlagSet) (*pipelineFlags, error) {
	// ENRICH, else off: the CLI runs on laptops with no AWS account, so IAM lookups are
	// opt-in there; the Lambda turns them on by default.
	enrichment, err := settings.LoadEnrichment(os.Getenv, false)
	if err != nil {
		return nil, usagef("%v", err)
	}
	f := &pipelineFlags{
		format: fs.String("format", "", "output format: text, json (JSON Lines of Alert v1) or ocsf (JSON Lines of OCSF 1.6 Detection Findings); default text on a terminal, json otherwise"),
		color:  fs.String("color", "auto", "severity in colour in text output: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never"),
		failOn: fs.String("fail-on", "", "exit with status 1 when an alert at or above this severity is raised (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)"),
		quiet:  fs.Bool("quiet", false, "do not print the outcome summary on stderr"),
	}
	fs.Var(&f.ruleDirs, "rules", "team rule packs: a team pack directory (teams/payments) or a directory of them (teams); repeatable; default $TEAMS_CONFIG")
	f.tuning = fs.String("tuning", "", "org tuning file (exceptions, staged and disabled rules; see rules/TUNING.md); default $"+settings.TuningConfig.Name)
	f.diff = fs.Bool("tuning-diff", false, "print on stderr what the tuning file changed: alerts before and after, per exception, staged and disabled rule (disabled rules are evaluated to count what they would have raised)")
	f.enrich = fs.Bool("enrich", enrichment.On, "look up the IAM facts rules declare (custom.enrich: key age and last use, MFA, admin rights, tags) with your AWS credentials; read-only calls; default $ENRICH, else off")
	return f, nil
}

// cliRun is a pipeline wired from the shared flags.
type cliRun struct {
	p         *pipeline.Pipeline
	out       *cliOutput
	set       *ruleset.Set
	threshold rule.Severity
	diff      *tuningDiff // with --tuning-diff
}

// open validates the shared flags, loads the rules and builds the pipeline. The int is the
// exit status to return with a non-nil error.
func (f *pipelineFlags) open(ctx context.Context, s stdio) (*cliRun, int, error) {
	r := &cliRun{}
	var err error
	if *f.failOn != "" {
		if r.threshold, err = rule.ParseSeverity(*f.failOn); err != nil {
			return nil, ExitUsage, usagef("--fail-on: %v", err)
		}
	}
	out, err := newCLIOutput(s.out, *f.format, *f.color, settings.LoadTerminal(os.Getenv))
	if err != nil {
		return nil, ExitUsage, err
	}
	r.out = out
	src := settings.LoadSources(os.Getenv)
	rt, err := openRuntime(ctx, setup.TeamDirs(f.ruleDirs, src), setup.TuningPath(*f.tuning, src), out)
	if err != nil {
		return nil, ExitUsage, err
	}
	if *f.diff && setup.TuningPath(*f.tuning, src) == "" {
		return nil, ExitUsage, usagef("%v", errTuningUnset)
	}
	active := rt.Init(ctx)
	r.set = active.Set
	r.p = &pipeline.Pipeline{
		Rules:       active.Set,
		Sink:        active.Sink,
		Idempotency: state.NewMemory(),
		Windows:     state.NewMemoryWindows(),
		OnError:     func(err error) { s.errorf("%v", err) },
		OnSuppress:  func(o event.Origin, sup team.Suppressed) { s.errorf("%s: %s", o, setup.SuppressionLine(sup)) },
		// stdout is the staging route too: staged alerts print marked
		StagingRoute: active.StagingRoute,
	}
	r.p.OnException = func(o event.Origin, ex tuning.Applied) {
		if ex.Action == "suppress" {
			s.errorf("%s: alert %s of rule %s suppressed by exception %s (owner %s, expires %s): %s", o, ex.AlertID, ex.RuleID, ex.ID, ex.Owner, ex.Expires, ex.Reason)
		}
	}
	if *f.diff {
		r.diff = newTuningDiff(r.p)
	}
	for _, b := range r.set.Broken {
		s.errorf("%v", b)
	}
	if err := r.p.DeliverHealth(ctx, active.Health); err != nil {
		return nil, ExitUsage, err
	}
	if *f.enrich {
		if r.p.Enricher, err = newCLIEnricher(ctx, r.set.Engine); err != nil {
			return nil, ExitUsage, err
		}
	}
	return r, ExitOK, nil
}

// finish prints the outcome summary (unless --quiet) and returns the exit status.
func (r *cliRun) finish(s stdio, f *pipelineFlags, command string) int {
	if !*f.quiet {
		fmt.Fprintf(s.err, "%s: %s\n", command, r.p.Counts.Summary())
		fmt.Fprintf(s.err, "%s: %s\n", command, r.out.Summary())
	}
	if r.diff != nil {
		r.diff.write(s.err, r.set.Tuning)
	}
	code := exitCode(&r.p.Counts, r.threshold)
	if len(r.set.Broken) > 0 {
		code = ExitPartial // a team pack is not evaluated: the results are incomplete
	}
	return code
}

// exitCode maps a run's counts to the CLI's exit status: 2 when input was malformed or a rule
// errored (the results are incomplete), else 1 when --fail-on was reached, else 0.
func exitCode(c *pipeline.Counts, failOn rule.Severity) int {
	switch {
	case c.Failed():
		return ExitPartial
	case failOn.Valid() && c.MaxSeverity() >= failOn:
		return ExitAlert
	}
	return ExitOK
}
