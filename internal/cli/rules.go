package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
)

func rulesList(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules list", s, "rules list [--format text|json] [--rules DIR]...")
	format := fs.String("format", "text", "text or json")
	var dirs stringList
	fs.Var(&dirs, "rules", "also list these team packs' rules (repeatable; default $TEAMS_CONFIG)")
	if _, err := parseFlags(fs, args); err != nil {
		return ExitUsage, err
	}
	set, err := loadRuleSet(ctx, setup.TeamDirs(dirs, settings.LoadSources(os.Getenv)))
	if err != nil {
		return ExitUsage, err
	}
	for _, b := range set.Broken {
		s.errorf("%v", b)
	}
	eng := set.Engine
	switch *format {
	case "json":
		enc := json.NewEncoder(s.out)
		for _, r := range eng.Rules() {
			if err := enc.Encode(map[string]any{
				"id": r.ID, "title": r.Title, "severity": r.Severity, "events": r.Events,
				"attack": r.Attack, "team": r.Team, "file": r.File, "version": r.Version,
			}); err != nil {
				return ExitUsage, fmt.Errorf("write: %w", err)
			}
		}
	case "text":
		tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tEVENTS")
		for _, r := range eng.Rules() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, engine.EventsString(r))
		}
		if err := tw.Flush(); err != nil {
			return ExitUsage, fmt.Errorf("write: %w", err)
		}
	default:
		return ExitUsage, usagef("--format: want text or json, got %q", *format)
	}
	if len(set.Broken) > 0 {
		return ExitPartial, nil
	}
	return ExitOK, nil
}

// catalogCommand regenerates rules/CATALOG.md; the test that keeps the committed catalog in
// step with the rules tells people to run it.
const catalogCommand = "go run ./cmd/detector rules doc --out rules/CATALOG.md"

func rulesDoc(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("rules doc", s, "rules doc [--out FILE]")
	out := fs.String("out", "", "write the Markdown catalog to FILE instead of stdout")
	if rest, err := parseFlags(fs, args); err != nil {
		return ExitUsage, err
	} else if len(rest) > 0 {
		return ExitUsage, usagef("rules doc takes no arguments")
	}
	eng, err := setup.LoadEngine(ctx)
	if err != nil {
		return ExitUsage, err
	}
	doc := catalog(eng.Rules())
	if *out == "" {
		_, err = s.out.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		return ExitUsage, fmt.Errorf("write: %w", err)
	}
	return ExitOK, nil
}

// catalog renders the rule catalog as Markdown: a summary table, then one section per rule,
// in rule id order with sorted map keys, so the same rules always give the same bytes.
func catalog(rs []*rule.Rule) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# trailhound rule catalog\n\n")
	p("Generated from the rules' METADATA by `%s`; do not edit by hand.\n", catalogCommand)
	p("How rules are written: [README.md](README.md). How the team that owns this pack tunes it without forking it (exceptions, staged and disabled rules): [TUNING.md](TUNING.md).\n\n%d rules:\n\n", len(rs))
	p("| ID | Title | Severity | Events | ATT&CK |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rs {
		p("| [%s](#%s) | %s | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), cell(r.Title), r.Severity,
			cell(strings.Join(eventNames(r), ", ")), strings.Join(r.Attack, ", "))
	}
	for _, r := range rs {
		p("\n<a id=\"%s\"></a>\n\n## %s: %s\n\n", strings.ToLower(r.ID), r.ID, r.Title)
		p("%s\n\n", strings.TrimSpace(r.Description))
		p("- **Severity:** %s (version %s; findings may escalate or de-escalate it)\n", r.Severity, r.Version)
		p("- **File:** `%s`\n", strings.TrimPrefix(r.File, "rules/"))
		p("- **Events:** %s\n", code(eventStrings(r)))
		p("- **ATT&CK:** %s\n", strings.Join(r.Attack, ", "))
		var comp []string
		for _, k := range slices.Sorted(maps.Keys(r.Compliance)) {
			comp = append(comp, k+" "+strings.Join(r.Compliance[k], ", "))
		}
		p("- **Compliance:** %s\n", orNone(strings.Join(comp, "; ")))
		if len(r.Enrich) > 0 {
			p("- **Enrichment:** %s\n", code(r.Enrich))
		}
		if d := r.Dedup; d != nil {
			p("- **Dedup:** one alert per %s within %s\n", strings.Join(d.By, " + "), duration(d.Window.Duration))
		}
		if th := r.Threshold; th != nil {
			p("- **Threshold:** %d events per %s within %s\n", th.Count, strings.Join(th.By, " + "), duration(th.Window.Duration))
		}
		p("- **Remediation:** %s\n", oneLine(r.Remediation.Summary))
		for _, st := range r.Remediation.Containment {
			p("  - Containment: %s\n", oneLine(st.Title))
		}
		for _, st := range r.Remediation.Steps {
			p("  - Step: %s\n", oneLine(st.Title))
		}
		for _, st := range r.Remediation.Backout {
			p("  - Backout: %s\n", oneLine(st.Title))
		}
		for _, u := range r.References {
			p("- <%s>\n", u)
		}
	}
	return b.Bytes()
}

func eventNames(r *rule.Rule) []string {
	var out []string
	for _, e := range r.Events {
		if !slices.Contains(out, e.Name) {
			out = append(out, e.Name)
		}
	}
	return out
}

func eventStrings(r *rule.Rule) []string {
	out := make([]string, len(r.Events))
	for i, e := range r.Events {
		out[i] = e.String()
	}
	return out
}

// duration writes 1h and 10m rather than 1h0m0s and 10m0s.
func duration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func code(ss []string) string { return "`" + strings.Join(ss, "`, `") + "`" }

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
