package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

// Named is a sender with a name for error messages and logs ("sqs", "securityhub", ...).
type Named struct {
	Name string
	delivery.Sender
}

// Multi fans alerts out to every sink concurrently. Each sink is a destination of its own
// (internal/delivery): Multi skips the alerts an earlier attempt delivered to it, records
// what each alert did at each sink, and returns an error made of one delivery.AlertError per
// alert that failed somewhere, naming the sink; an alert one sink refuses (too large for
// SQS) fails there alone, and the sinks that succeeded are not undone.
type Multi struct {
	Sinks []Named
}

// Send delivers alerts to every sink.
func (m *Multi) Send(ctx context.Context, alerts []*alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	errs := make([]error, len(m.Sinks))
	if len(m.Sinks) == 1 {
		errs[0] = sendTo(ctx, m.Sinks[0], alerts)
		return errs[0]
	}
	var wg sync.WaitGroup
	for i, s := range m.Sinks {
		wg.Go(func() { errs[i] = sendTo(ctx, s, alerts) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// sendTo sends to one sink the alerts it has not had yet and records each alert's outcome.
func sendTo(ctx context.Context, s Named, alerts []*alert.Alert) error {
	dest := delivery.Destination(ctx, s.Name)
	todo := make([]*alert.Alert, 0, len(alerts))
	for _, a := range alerts {
		if !delivery.Skip(ctx, a.ID, dest) {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	ids := alertIDs(todo, func(a *alert.Alert) string { return a.ID })
	failed := delivery.Attribute(s.Send(delivery.Within(ctx, s.Name), todo), ids)
	var errs []error
	for _, id := range ids {
		delivery.Record(ctx, id, dest, failed[id])
		if failed[id] != nil {
			errs = append(errs, &delivery.AlertError{AlertID: id, Err: fmt.Errorf("sink %s: %w", s.Name, failed[id])})
		}
	}
	return errors.Join(errs...)
}

// Names lists the sinks, for the startup log.
func (m *Multi) Names() []string {
	out := make([]string, len(m.Sinks))
	for i, s := range m.Sinks {
		out[i] = s.Name
	}
	return out
}

// alertIDs lists the ids of alerts, for error messages.
func alertIDs[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
