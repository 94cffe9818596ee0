package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
)

func cmdRules(ctx context.Context, args []string, s stdio) (int, error) {
	if len(args) == 0 {
		return exitUsage, usagef("rules: want a subcommand: list, test")
	}
	switch args[0] {
	case "list":
		return rulesList(ctx, args[1:], s)
	case "test":
		return rulesTest(ctx, args[1:], s)
	}
	return exitUsage, usagef("rules: unknown subcommand %q (want list or test)", args[0])
}

func rulesList(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules list", s, "rules list [--format text|json]")
	format := fs.String("format", "text", "text or json")
	if _, err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	eng, err := loadEngine(ctx)
	if err != nil {
		return exitUsage, err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(s.out)
		for _, r := range eng.Rules() {
			if err := enc.Encode(map[string]any{
				"id": r.ID, "title": r.Title, "severity": r.Severity, "events": r.Events,
				"attack": r.Attack, "team": r.Team, "file": r.File, "version": r.Version,
			}); err != nil {
				return exitUsage, fmt.Errorf("write: %w", err)
			}
		}
	case "text":
		tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tEVENTS")
		for _, r := range eng.Rules() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, engine.EventsString(r))
		}
		if err := tw.Flush(); err != nil {
			return exitUsage, fmt.Errorf("write: %w", err)
		}
	default:
		return exitUsage, usagef("--format: want text or json, got %q", *format)
	}
	return exitOK, nil
}

func rulesTest(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules test", s, "rules test [-v] [DIR]")
	verbose := fs.Bool("v", false, "list every test, not only failures")
	dirs, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(dirs) > 1 {
		return exitUsage, usagef("rules test takes at most one directory")
	}
	builtin, err := builtinPack()
	if err != nil {
		return exitUsage, err
	}
	modules, err := builtin.AllModules()
	if err != nil {
		return exitPartial, err
	}
	if len(dirs) == 1 {
		st, err := os.Stat(dirs[0])
		if err != nil || !st.IsDir() {
			return exitUsage, usagef("rules test: %s is not a directory", dirs[0])
		}
		p, err := rule.Load(dirs[0], "", dirs[0], os.DirFS(dirs[0]))
		if err != nil {
			return exitPartial, err
		}
		builtinModules := modules
		if modules, err = p.AllModules(); err != nil {
			return exitPartial, err
		}
		for name, m := range builtinModules {
			if m.Package.Path.HasPrefix(libRef) {
				modules[name] = m // the lib and its tests
			}
		}
	}
	results, err := rule.RunTests(ctx, modules)
	if err != nil {
		return exitPartial, err
	}
	passed, failed := 0, 0
	for _, r := range results {
		status := "PASS"
		switch {
		case r.Skip:
			status = "SKIP"
		case !r.Pass:
			status = "FAIL"
			failed++
		default:
			passed++
		}
		if *verbose || status == "FAIL" {
			fmt.Fprintf(s.out, "%s %s:%d %s.%s", status, r.File, r.Line, r.Package, r.Name)
			if r.Err != "" {
				fmt.Fprintf(s.out, ": %s", r.Err)
			}
			fmt.Fprintln(s.out)
			if status == "FAIL" && r.Output != "" {
				fmt.Fprintf(s.out, "    output: %s\n", r.Output)
			}
		}
	}
	fmt.Fprintf(s.out, "%d passed, %d failed\n", passed, failed)
	if len(results) == 0 {
		return exitPartial, fmt.Errorf("no Rego tests found")
	}
	if failed > 0 {
		return exitPartial, nil
	}
	return exitOK, nil
}
