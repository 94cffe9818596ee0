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
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/tuning"
)

// tuningDiff collects, over one scan or replay, what the tuning file changed: each alert's
// severity before and after, the exception that changed it, staged alerts, and (disabled
// rules being evaluated) what disabled rules would have raised. Alerts are counted as
// raised per event, by id: a dedup or threshold update of an alert counts once.
type tuningDiff struct {
	p      *pipeline.Pipeline
	mu     sync.Mutex
	alerts map[string]*diffEntry // by alert id
}

type diffEntry struct {
	before, after string // after "": suppressed
	exception     string
	rule          string
	staged        bool
}

// newTuningDiff hooks a diff into p: its sink, OnException, and disabled rules evaluated.
func newTuningDiff(p *pipeline.Pipeline) *tuningDiff {
	d := &tuningDiff{p: p, alerts: map[string]*diffEntry{}}
	next, onEx := p.Sink, p.OnException
	p.Sink = diffSink{d: d, next: next}
	p.OnException = func(o event.Origin, ex tuning.Applied) {
		if ex.Action == string(tuning.Suppressed) {
			d.mu.Lock()
			d.alerts[ex.AlertID] = &diffEntry{before: ex.SeverityBefore, exception: ex.ID, rule: ex.RuleID}
			d.mu.Unlock()
		}
		if onEx != nil {
			onEx(o, ex)
		}
	}
	p.EvaluateDisabled = true
	return d
}

type diffSink struct {
	d    *tuningDiff
	next pipeline.Sink
}

func (s diffSink) Send(ctx context.Context, alerts []*alert.Alert) error {
	s.d.mu.Lock()
	for _, a := range alerts {
		e := &diffEntry{before: a.Severity, after: a.Severity, rule: a.Rule.ID}
		if t := a.Tuning; t != nil {
			e.staged = t.Staged
			if t.Exception != nil {
				e.before, e.exception = t.Exception.SeverityBefore, t.Exception.ID
			}
		}
		s.d.alerts[a.ID] = e
	}
	s.d.mu.Unlock()
	return s.next.Send(ctx, alerts)
}

// write prints the diff.
func (d *tuningDiff) write(w io.Writer, pol *tuning.Policy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	before, after := map[string]int{}, map[string]int{}
	type change struct{ lowered, suppressed map[string]int }
	byEx := map[string]*change{}
	staged := 0
	for _, e := range d.alerts {
		before[e.before]++
		if e.staged {
			staged++
		}
		if e.after != "" && !e.staged {
			after[e.after]++
		}
		if e.exception == "" {
			continue
		}
		c := byEx[e.exception]
		if c == nil {
			c = &change{lowered: map[string]int{}, suppressed: map[string]int{}}
			byEx[e.exception] = c
		}
		if e.after == "" {
			c.suppressed[e.before]++
		} else {
			c.lowered[e.before+"->"+e.after]++
		}
	}
	disabled := d.p.Counts.Disabled()
	nDisabled := 0
	for _, n := range disabled {
		nDisabled += int(n)
	}
	fmt.Fprintf(w, "tuning diff: before tuning %d alerts (%s)", len(d.alerts), bySeverity(before))
	if nDisabled > 0 {
		fmt.Fprintf(w, ", and disabled rules matched %d events", nDisabled)
	}
	fmt.Fprintf(w, "; after: %d delivered (%s), %d staged\n", sum(after), bySeverity(after), staged)
	for _, e := range pol.File.Exceptions {
		c := byEx[e.ID]
		fmt.Fprintf(w, "  exception %s (owner %s, expires %s): ", e.ID, e.Owner, e.Expires)
		switch {
		case c == nil:
			fmt.Fprintf(w, "changed no alert\n")
		case len(c.suppressed) > 0:
			fmt.Fprintf(w, "%d suppressed (%s)\n", sum(c.suppressed), bySeverity(c.suppressed))
		default:
			fmt.Fprintf(w, "%d lowered (%s)\n", sum(c.lowered), counts(c.lowered))
		}
	}
	for _, dis := range pol.File.Disabled {
		fmt.Fprintf(w, "  disabled %s (owner %s): matched %d events, raised nothing\n", dis.ID, dis.Owner, disabled[dis.ID])
	}
	for _, id := range pol.File.Staged {
		n := 0
		for _, e := range d.alerts {
			if e.staged && e.rule == id {
				n++
			}
		}
		fmt.Fprintf(w, "  staged %s: %d alerts to the staging route only\n", id, n)
	}
}

// bySeverity formats counts by severity, highest first, leaving out zeros.
func bySeverity(m map[string]int) string {
	var parts []string
	for s := rule.Critical; s >= rule.Informational; s-- {
		if n := m[s.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", s, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

func counts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
