package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/state"
)

// Windows holds the dedup and threshold windows of rules that declare custom.dedup or
// custom.threshold, on event time (state.MemoryWindows for scan and replay,
// state.DynamoWindows in the Lambda).
//
// Delivery semantics:
//   - dedup: the first event of a group raises its alert as usual. A later event of the group
//     within the window raises nothing new: the FIRST alert is re-delivered with the same id,
//     dedup.count N and the later last_seen (context.dedup_latest_event_id names the event),
//     so id-upserting consumers (Security Hub re-imports by Id) update it in place. The record
//     counts as suppressed, reason "dedup"; the re-delivery counts as an update.
//   - threshold: events below the count deliver nothing (suppressed, "threshold_pending");
//     the event that reaches it raises ONE alert, id ThresholdID(rule, group key, window
//     start), listing the events (context.threshold); later events inside that window
//     re-deliver it with a higher count (suppressed, "threshold_folded").
//
// Consumers that see the same id more than once keep the copy with the highest dedup.count:
// concurrent invocations may deliver updates out of order.
type Windows interface {
	Observe(ctx context.Context, s state.Spec, ev state.Event) (state.Decision, error)
}

// delivery collects what one record's findings deliver.
type delivery struct {
	fresh   []*alert.Alert // new alerts
	updates []*alert.Alert // alerts re-delivered with the same id and a higher count
	claims  []string       // idempotency claims to release when delivery fails
	reasons []string       // why findings raised nothing new
	clock   time.Time      // the record's trusted clock (state.Event.Clock)
	// prior holds, per claimed alert, the destinations an earlier partly failed delivery
	// reached (PartialDelivery): the sinks skip them.
	prior map[string][]string
	// owner is the idempotency claim each alert to deliver stands for (the claims are the
	// per-event alert ids; a threshold alert or dedup update has an id of its own).
	owner map[*alert.Alert]string
}

// windowUnavailable is a dedup window the state store could not answer for.
type windowUnavailable struct{ err error }

func (e *windowUnavailable) Error() string { return e.err.Error() }
func (e *windowUnavailable) Unwrap() error { return e.err }

func (p *Pipeline) windows() Windows {
	if p.Windows != nil {
		return p.Windows
	}
	p.defaultWindowsOnce.Do(func() { p.defaultWindows = state.NewMemoryWindows() })
	return p.defaultWindows
}

// observeWindow decides what one built alert delivers: itself, or what its rule's dedup or
// threshold window says.
func (p *Pipeline) observeWindow(ctx context.Context, r *rule.Rule, a *alert.Alert, evTime time.Time, d *delivery) error {
	switch {
	case r.Threshold != nil:
		return p.observeThreshold(ctx, r, a, evTime, d)
	case r.Dedup != nil:
		return p.observeDedup(ctx, r, a, evTime, d)
	}
	d.fresh = append(d.fresh, a)
	return nil
}

func (p *Pipeline) observeDedup(ctx context.Context, r *rule.Rule, a *alert.Alert, evTime time.Time, d *delivery) error {
	w := p.windows()
	ev := state.Event{ID: a.ID, Time: evTime, Clock: d.clock}
	if k, ok := w.(state.ValueKeeper); ok && k.KeepsValues() {
		// An in-process store keeps a copy of the alert as it is: no JSON, no compression.
		ev.Value = keptAlert(a)
	} else {
		payload, err := alert.JSON(a)
		if err != nil {
			return fmt.Errorf("rule %s: encode alert for its dedup window: %w", r.ID, err)
		}
		ev.Payload = payload
	}
	spec := state.Spec{Kind: state.Dedup, Rule: r.ID, Key: a.Dedup.Key, Window: r.Dedup.Window.Duration}
	sctx, cancel := p.stateCtx(ctx)
	dec, err := w.Observe(sctx, spec, ev)
	cancel()
	if err != nil {
		return &windowUnavailable{fmt.Errorf("rule %s: dedup window: %w", r.ID, err)}
	}
	inc := dec.Incident
	if dec.Action == state.Raise {
		a.Dedup = dedupOf(a.Dedup.Key, inc)
		d.fresh = append(d.fresh, a)
		return nil
	}
	var first alert.Alert
	if kept, ok := inc.Value.(*alert.Alert); ok {
		first = *keptAlert(kept)
	} else if err := json.Unmarshal(inc.Payload, &first); err != nil {
		return fmt.Errorf("rule %s: decode the alert of dedup window %s: %w", r.ID, inc.ID, err)
	}
	first.Dedup = dedupOf(a.Dedup.Key, inc)
	if first.Context == nil {
		first.Context = map[string]any{}
	}
	first.Context["dedup_latest_event_id"] = a.Event.ID
	d.updates = append(d.updates, &first)
	d.reasons = append(d.reasons, ReasonDedup)
	return nil
}

// keptAlert is the copy of a a dedup window keeps, and the copy of the kept alert each
// re-delivery changes: the fields a re-delivery or a later step sets (dedup, context) are the
// copy's own, so neither the delivered alert nor the kept one changes the other.
func keptAlert(a *alert.Alert) *alert.Alert {
	c := *a
	c.Context = maps.Clone(a.Context)
	c.Target = maps.Clone(a.Target)
	return &c
}

// listedEvent is what a threshold alert lists about each event it stands for.
type listedEvent struct {
	EventID   string            `json:"event_id"`
	EventTime string            `json:"event_time"`
	EventName string            `json:"event_name"`
	AlertID   string            `json:"alert_id"`
	Summary   string            `json:"summary"`
	SourceIP  string            `json:"source_ip,omitempty"`
	Target    map[string]string `json:"target,omitempty"`
}

func (p *Pipeline) observeThreshold(ctx context.Context, r *rule.Rule, a *alert.Alert, evTime time.Time, d *delivery) error {
	th := r.Threshold
	fields := alert.Fields(a)
	values := make([]string, len(th.By))
	for i, path := range th.By {
		values[i] = fields[path]
	}
	key := alert.DedupKey(r.ID, values)
	payload, err := json.Marshal(listedEvent{
		EventID: a.Event.ID, EventTime: a.Event.Time, EventName: a.Event.Name, AlertID: a.ID,
		Summary: a.Summary, SourceIP: a.Event.SourceIP, Target: a.Target,
	})
	if err != nil {
		return fmt.Errorf("rule %s: encode event for its threshold window: %w", r.ID, err)
	}
	spec := state.Spec{Kind: state.Threshold, Rule: r.ID, Key: key, Window: th.Window.Duration, Count: th.Count}
	sctx, cancel := p.stateCtx(ctx)
	dec, err := p.windows().Observe(sctx, spec, state.Event{ID: a.ID, Time: evTime, Clock: d.clock, Payload: payload})
	cancel()
	if err != nil {
		return fmt.Errorf("rule %s: threshold window: %w", r.ID, err)
	}
	switch dec.Action {
	case state.Hold:
		d.reasons = append(d.reasons, ReasonThresholdPending)
		return nil
	case state.Raise:
		t, listed := thresholdAlert(a, r, key, values, dec.Incident)
		p.retune(t, listed, dec.Incident.Count)
		d.fresh = append(d.fresh, t)
	default:
		t, listed := thresholdAlert(a, r, key, values, dec.Incident)
		p.retune(t, listed, dec.Incident.Count)
		d.updates = append(d.updates, t)
		d.reasons = append(d.reasons, ReasonThresholdFolded)
	}
	return nil
}

// thresholdAlert is the one alert of a reached threshold. It is built on the alert of the
// event being processed (its event, actor, remediation), with the window's id, the rule's
// severity, the target values every listed event shares, and context.threshold listing the
// events.
func thresholdAlert(a *alert.Alert, r *rule.Rule, key string, values []string, inc state.Incident) (*alert.Alert, []listedEvent) {
	t := *a
	t.ID = inc.ID
	t.Severity = r.Severity.String()
	t.SeverityReasons, t.Tuning = nil, nil // the event's; the pipeline tunes t again
	listed := make([]listedEvent, 0, len(inc.Events))
	for _, ev := range inc.Events {
		var le listedEvent
		if json.Unmarshal(ev.Payload, &le) == nil {
			listed = append(listed, le)
		}
	}
	t.Target = sharedTarget(listed)
	by := make(map[string]string, len(values))
	var who []string
	for i, path := range r.Threshold.By {
		by[path] = values[i]
		who = append(who, values[i])
	}
	t.Context = make(map[string]any, len(a.Context)+1)
	for k, v := range a.Context {
		t.Context[k] = v
	}
	t.Context["threshold"] = map[string]any{
		"count": inc.Count, "threshold": r.Threshold.Count, "window": r.Threshold.Window.String(), "by": by,
		"window_start": stamp(inc.Start), "window_end": stamp(inc.End), "events": listed,
		"events_truncated": inc.Count > len(listed),
	}
	t.Summary = fmt.Sprintf("%s: %d events by %s within %s (threshold %d), from %s to %s.",
		r.Title, inc.Count, strings.Join(who, ", "), r.Threshold.Window, r.Threshold.Count, stamp(inc.FirstSeen), stamp(inc.LastSeen))
	t.Dedup = dedupOf(key, inc)
	return &t, listed
}

// sharedTarget keeps the target values that every listed event has in common.
func sharedTarget(listed []listedEvent) map[string]string {
	out := map[string]string{}
	if len(listed) == 0 {
		return out
	}
	for k, v := range listed[0].Target {
		out[k] = v
	}
	for _, le := range listed[1:] {
		for k, v := range out {
			if le.Target[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

func dedupOf(key string, inc state.Incident) alert.Dedup {
	return alert.Dedup{Key: key, Count: max(inc.Count, 1), FirstSeen: stamp(inc.FirstSeen), LastSeen: stamp(inc.LastSeen)}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
