package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/ocsf"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
)

// This file is the CLI's alert output (scan, replay): JSON Lines for machines (Alert v1, or
// OCSF 1.6 Detection Findings), or text for a
// person with the severity in colour on a terminal; an alert already shown in full is shown
// again as one line (a dedup or threshold update, or a repeated delivery), and the alerts are
// tallied for the end-of-run summary.

// maxShown bounds the alert ids the output remembers. Past it, they are forgotten: an update
// of an alert forgotten is shown in full again and tallied as an update, never as a new alert.
const maxShown = 1 << 20

// cliOutput is the CLI's alert sink. It is safe for concurrent use.
type cliOutput struct {
	mu    sync.Mutex
	w     io.Writer
	text  bool
	ocsf  bool // JSON Lines of OCSF 1.6 Detection Findings instead of Alert v1
	opts  alert.TextOptions
	shown map[string]int // alert id -> dedup count last written
	tally outputTally
}

// outputTally counts what the output wrote.
type outputTally struct {
	bySeverity map[string]int // new alerts (not updates), health alerts included
	byRule     map[string]int // new alerts by rule id, health alerts left out
	health     int            // health alerts: team packs that are not loaded
	updates    int            // alerts written again with a higher dedup count
	repeats    int            // alerts written again unchanged
}

// newCLIOutput returns the output for format ("json", "ocsf", "text", or "" for text on a
// terminal and json otherwise) and color ("auto": on a terminal that has not asked for NO_COLOR or
// TERM=dumb, "always", "never"), writing to w.
func newCLIOutput(w io.Writer, format, color string, term settings.Terminal) (*cliOutput, error) {
	o := &cliOutput{w: w, shown: map[string]int{}}
	o.tally.bySeverity, o.tally.byRule = map[string]int{}, map[string]int{}
	switch strings.ToLower(format) {
	case "":
		o.text = isTerminal(w)
	case "text":
		o.text = true
	case "json":
	case "ocsf":
		o.ocsf = true
	default:
		return nil, usagef("--format: want text, json or ocsf, got %q", format)
	}
	switch strings.ToLower(color) {
	case "", "auto":
		o.opts.Color = isTerminal(w) && term.Color()
	case "always":
		o.opts.Color = true
	case "never":
	default:
		return nil, usagef("--color: want auto, always or never, got %q", color)
	}
	return o, nil
}

// Send writes the alerts (pipeline.Sink).
func (o *cliOutput) Send(_ context.Context, alerts []*alert.Alert) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range alerts {
		prev, seen := o.shown[a.ID]
		if !seen && len(o.shown) >= maxShown {
			clear(o.shown)
		}
		o.shown[a.ID] = a.Dedup.Count
		var err error
		switch {
		case o.ocsf:
			err = ocsf.WriteJSON(o.w, a)
		case !o.text:
			err = alert.WriteJSON(o.w, a)
		case seen:
			_, err = io.WriteString(o.w, alert.TextUpdate(a, o.opts, a.Dedup.Count <= prev))
		default:
			_, err = io.WriteString(o.w, alert.TextWith(a, o.opts)+"\n")
		}
		if err != nil {
			return fmt.Errorf("write alert %s: %w", a.ID, err)
		}
		o.count(a, seen, prev)
	}
	return nil
}

func (o *cliOutput) count(a *alert.Alert, seen bool, prev int) {
	t := &o.tally
	switch {
	case seen && a.Dedup.Count > prev:
		t.updates++
	case seen:
		t.repeats++
	default:
		t.bySeverity[a.Severity]++
		if a.Rule.ID == ruleset.HealthRuleID {
			t.health++
		} else {
			t.byRule[a.Rule.ID]++
		}
	}
}

// Summary is the end-of-run line of what was written: alerts per severity (highest first)
// and per rule, health alerts, updates and repeats.
func (o *cliOutput) Summary() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := &o.tally
	total := 0
	var sev []string
	for s := rule.Critical; s >= rule.Informational; s-- {
		if n := t.bySeverity[s.String()]; n > 0 {
			sev = append(sev, fmt.Sprintf("%s=%d", s, n))
			total += n
		}
	}
	for _, s := range slices.Sorted(maps.Keys(t.bySeverity)) {
		if p, err := rule.ParseSeverity(s); err != nil || p.String() != s {
			sev = append(sev, fmt.Sprintf("%s=%d", alert.Clean(s), t.bySeverity[s]))
			total += t.bySeverity[s]
		}
	}
	line := plural(total, "alert")
	if total == 0 {
		return line
	}
	line += " (" + strings.Join(sev, " ") + ")"
	if len(t.byRule) > 0 {
		var parts []string
		for _, id := range slices.Sorted(maps.Keys(t.byRule)) {
			parts = append(parts, fmt.Sprintf("%s=%d", alert.Clean(id), t.byRule[id]))
		}
		line += "; by rule: " + strings.Join(parts, " ")
	}
	if t.health > 0 {
		line += "; " + plural(t.health, "health alert") + " (team packs not loaded)"
	}
	if t.updates > 0 {
		line += "; " + plural(t.updates, "update")
	}
	if t.repeats > 0 {
		line += "; " + plural(t.repeats, "repeated delivery")
	}
	return line
}

// plural is "1 alert", "2 alerts" ("repeated delivery" becomes "repeated deliveries").
func plural(n int, noun string) string {
	switch {
	case n == 1:
	case strings.HasSuffix(noun, "y"):
		noun = noun[:len(noun)-1] + "ies"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
