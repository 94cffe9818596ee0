// Package delivery owns the per-alert, per-destination accounting of sending alerts. It is
// the contract between the sinks (internal/sink: one destination each), the fan-outs that
// send one call's alerts to several destinations (sink.Multi, route.Router) and the
// pipeline, which claims, commits and retries alerts:
//
//   - A sink that can tell which alerts of a call failed says so with AlertError (one per
//     alert, joined); any other error fails every alert of the call. A sink needs nothing
//     else: a new destination (a webhook, PagerDuty) plugs in as a plain Send.
//   - A fan-out names each destination it sends to (Within), skips the (alert, destination)
//     pairs the context says were delivered by an earlier attempt (Skip), records the
//     outcome of every pair it sends (Record), and returns an error made only of
//     AlertErrors, so the caller can tell, per alert, what failed.
//   - The pipeline puts a Tracker in the context, sends, and then commits each alert that
//     reached every destination, and for an alert that did not, remembers the
//     destinations it did reach, so the retry AWS makes re-sends only the rest.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/trailhound/trailhound/internal/alert"
)

// Sender delivers alerts: a sink, a fan-out, or what the pipeline delivers to. Send returns
// an error if any alert was not delivered (AlertErrors when it can tell which).
type Sender interface {
	Send(ctx context.Context, alerts []*alert.Alert) error
}

// AlertError is the failure of one alert at the destination that returned it.
type AlertError struct {
	AlertID string
	Err     error
}

func (e *AlertError) Error() string { return fmt.Sprintf("alert %s: %v", e.AlertID, e.Err) }
func (e *AlertError) Unwrap() error { return e.Err }

// ForAlerts is err attributed to each of the alerts ids: what a sink returns when one call
// for several alerts (a batch) failed as a whole.
func ForAlerts(ids []string, err error) error {
	if err == nil {
		return nil
	}
	errs := make([]error, len(ids))
	for i, id := range ids {
		errs[i] = &AlertError{AlertID: id, Err: err}
	}
	return errors.Join(errs...)
}

// Attribute splits an error returned by Send for the alerts ids into the failure of each
// alert: the AlertErrors it holds (through fmt %w wrapping and errors.Join), and, for any
// part that names no alert, that part for every alert. nil means every alert was delivered.
func Attribute(err error, ids []string) map[string]error {
	if err == nil {
		return nil
	}
	out := map[string][]error{}
	var general []error
	var walk func(e error, prefix string)
	walk = func(e error, prefix string) {
		with := func(e error) error {
			if prefix == "" {
				return e
			}
			return fmt.Errorf("%s: %w", prefix, e)
		}
		if ae, ok := e.(*AlertError); ok {
			out[ae.AlertID] = append(out[ae.AlertID], with(ae.Err))
			return
		}
		if m, ok := e.(interface{ Unwrap() []error }); ok {
			for _, sub := range m.Unwrap() {
				walk(sub, prefix)
			}
			return
		}
		// fmt.Errorf("sink sqs: %w", inner): keep the text it adds in front of inner.
		if inner := errors.Unwrap(e); inner != nil {
			msg, in := e.Error(), inner.Error()
			if strings.HasSuffix(msg, in) {
				p := strings.TrimRight(msg[:len(msg)-len(in)], ": ")
				switch {
				case p == "":
				case prefix == "":
					prefix = p
				default:
					prefix += ": " + p
				}
				walk(inner, prefix)
				return
			}
		}
		general = append(general, with(e))
	}
	walk(err, "")
	res := make(map[string]error, len(ids))
	for _, id := range ids {
		errs := append(slices.Clone(general), out[id]...)
		if len(errs) > 0 {
			res[id] = errors.Join(errs...)
		}
	}
	return res
}

// Tracker records, for one delivery, the destinations each alert reached and the ones it
// did not, and knows the ones an earlier attempt reached (to skip). It is safe for
// concurrent use (fan-outs send to their destinations concurrently).
type Tracker struct {
	mu        sync.Mutex
	delivered map[string]map[string]bool // alert id -> destinations reached, this or an earlier attempt
	failed    map[string]map[string]bool
	skipped   int
}

// NewTracker returns a tracker that skips what delivered says each alert reached before.
func NewTracker(delivered map[string][]string) *Tracker {
	t := &Tracker{delivered: map[string]map[string]bool{}, failed: map[string]map[string]bool{}}
	for id, dests := range delivered {
		for _, d := range dests {
			t.mark(t.delivered, id, d)
		}
	}
	return t
}

func (t *Tracker) mark(m map[string]map[string]bool, id, dest string) {
	if m[id] == nil {
		m[id] = map[string]bool{}
	}
	m[id][dest] = true
}

// Delivered lists the destinations alert id reached (in this attempt or an earlier one), sorted.
func (t *Tracker) Delivered(id string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for d := range t.delivered[id] {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// Failed lists the destinations alert id did not reach in this attempt, sorted: the most
// specific ones ("payments/sqs", not also the route "payments" it failed under).
func (t *Tracker) Failed(id string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for d := range t.failed[id] {
		leaf := true
		for other := range t.failed[id] {
			if strings.HasPrefix(other, d+"/") {
				leaf = false
				break
			}
		}
		if leaf {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// Skipped is the number of (alert, destination) pairs not sent because an earlier attempt
// delivered them.
func (t *Tracker) Skipped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

type ctxKey int

const (
	trackerKey ctxKey = iota
	pathKey
)

// WithTracker returns ctx carrying t: fan-outs below record into it and skip what it says
// was delivered.
func WithTracker(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, trackerKey, t)
}

// Within returns ctx for sending to the destination name under the current one: the route
// "payments", then its sink "sqs", is the destination "payments/sqs".
func Within(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, pathKey, Destination(ctx, name))
}

// Destination is the full name of the destination name under ctx's current one.
func Destination(ctx context.Context, name string) string {
	if p, _ := ctx.Value(pathKey).(string); p != "" {
		return p + "/" + name
	}
	return name
}

// Skip reports whether an earlier attempt delivered alert id to dest (a full name,
// Destination), counting it as skipped.
func Skip(ctx context.Context, id, dest string) bool {
	t, _ := ctx.Value(trackerKey).(*Tracker)
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.delivered[id][dest] {
		t.skipped++
		return true
	}
	return false
}

// Record notes that alert id reached dest (a full name), or did not (err != nil).
func Record(ctx context.Context, id, dest string, err error) {
	t, _ := ctx.Value(trackerKey).(*Tracker)
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.mark(t.failed, id, dest)
		return
	}
	t.mark(t.delivered, id, dest)
}
