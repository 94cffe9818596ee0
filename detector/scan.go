package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/state"
)

func cmdScan(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("scan", s, "scan [flags] [PATH|-]...")
	format := fs.String("format", "", "output format: text or json (JSON Lines of Alert v1); default text on a terminal, json otherwise")
	failOn := fs.String("fail-on", "", "exit with status 1 when an alert at or above this severity is raised (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL)")
	quiet := fs.Bool("quiet", false, "do not print the outcome summary on stderr")
	enrichDefault, err := cliEnrichDefault(os.Getenv)
	if err != nil {
		return exitUsage, err
	}
	var ruleDirs stringList
	fs.Var(&ruleDirs, "rules", "team rule packs: a team pack directory (teams/payments) or a directory of them (teams); repeatable; default $TEAMS_CONFIG")
	enrichOn := fs.Bool("enrich", enrichDefault, "look up the IAM facts rules declare (custom.enrich: key age and last use, MFA, admin rights, tags) with your AWS credentials; read-only calls; default $ENRICH, else off")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	var threshold rule.Severity
	if *failOn != "" {
		if threshold, err = rule.ParseSeverity(*failOn); err != nil {
			return exitUsage, usagef("--fail-on: %v", err)
		}
	}
	f := sink.Format(strings.ToLower(*format))
	if f == "" {
		f = sink.JSON
		if isTerminal(s.out) {
			f = sink.Text
		}
	}
	out, err := sink.NewWriter(s.out, f)
	if err != nil {
		return exitUsage, usagef("--format: %v", err)
	}
	set, err := loadRuleSet(ctx, teamDirs(ruleDirs, os.Getenv))
	if err != nil {
		return exitUsage, err
	}
	eng := set.Engine
	p := &pipeline.Pipeline{
		Sink:        out,
		Idempotency: state.NewMemory(),
		Windows:     state.NewMemoryWindows(),
		OnError:     func(err error) { s.errorf("%v", err) },
		OnSuppress:  func(o event.Origin, sup pipeline.Suppression) { s.errorf("%s: %s", o, suppressionLine(sup)) },
	}
	withTeams(p, set)
	for _, b := range set.Broken {
		s.errorf("%v", b)
	}
	if err := out.Send(ctx, set.HealthAlerts()); err != nil {
		return exitUsage, err
	}
	if *enrichOn {
		if p.Enricher, err = newCLIEnricher(ctx, eng); err != nil {
			return exitUsage, err
		}
	}
	p.Run(ctx, event.Paths(paths, s.in))
	if !*quiet {
		fmt.Fprintf(s.err, "scan: %s\n", p.Counts.Summary())
	}
	code := exitCode(&p.Counts, threshold)
	if len(set.Broken) > 0 {
		code = exitPartial // a team pack is not evaluated: the results are incomplete
	}
	return code, ctx.Err()
}

// exitCode maps a run's counts to the CLI's exit status: 2 when input was malformed or a rule
// errored (the results are incomplete), else 1 when --fail-on was reached, else 0.
func exitCode(c *pipeline.Counts, failOn rule.Severity) int {
	switch {
	case c.Failed():
		return exitPartial
	case failOn.Valid() && c.MaxSeverity() >= failOn:
		return exitAlert
	}
	return exitOK
}
