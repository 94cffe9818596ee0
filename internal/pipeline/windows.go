package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
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
		ev.Value = a.Clone()
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
		a.SetSeen(seenOf(inc))
		d.fresh = append(d.fresh, a)
		return nil
	}
	// The kept alert is the window's own (a store that keeps values) or its JSON (one that
	// stores it): DedupUpdate copies it either way.
	first, ok := inc.Value.(*alert.Alert)
	if !ok {
		if first, err = alert.Decode(inc.Payload); err != nil {
			return fmt.Errorf("rule %s: decode the alert of dedup window %s: %w", r.ID, inc.ID, err)
		}
	}
	d.updates = append(d.updates, alert.DedupUpdate(first, a.Dedup.Key, a.Event.ID, seenOf(inc)))
	d.reasons = append(d.reasons, ReasonDedup)
	return nil
}

func (p *Pipeline) observeThreshold(ctx context.Context, r *rule.Rule, a *alert.Alert, evTime time.Time, d *delivery) error {
	th := r.Threshold
	fields := alert.Fields(a)
	values := make([]string, len(th.By))
	for i, path := range th.By {
		values[i] = fields[path]
	}
	key := alert.DedupKey(r.ID, values)
	payload, err := json.Marshal(alert.Listed(a))
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

// thresholdAlert is the one alert of a reached threshold (alert.Threshold), built on a, and
// the events it lists.
func thresholdAlert(a *alert.Alert, r *rule.Rule, key string, values []string, inc state.Incident) (*alert.Alert, []alert.ListedEvent) {
	listed := make([]alert.ListedEvent, 0, len(inc.Events))
	for _, ev := range inc.Events {
		var le alert.ListedEvent
		if json.Unmarshal(ev.Payload, &le) == nil {
			listed = append(listed, le)
		}
	}
	return alert.Threshold(a, r, alert.ThresholdWindow{
		ID: inc.ID, Key: key, Values: values, Seen: seenOf(inc), Start: inc.Start, End: inc.End, Events: listed,
	}), listed
}

// seenOf is what a window's incident counted.
func seenOf(inc state.Incident) alert.Seen {
	return alert.Seen{Count: inc.Count, First: inc.FirstSeen, Last: inc.LastSeen}
}
