package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/trailhound/trailhound/internal/alert"
)

// Sender delivers alerts; it is the pipeline's Sink interface, restated here so this package
// does not import the pipeline.
type Sender interface {
	Send(ctx context.Context, alerts []*alert.Alert) error
}

// Named is a Sender with a name for error messages and logs ("sqs", "securityhub", ...).
type Named struct {
	Name string
	Sender
}

// Multi fans alerts out to every sink concurrently. Send returns an error naming each sink that
// failed; the sinks that succeeded are not undone. A redelivered event therefore reaches them
// again with the same alert id: Security Hub updates the finding in place, a FIFO queue drops
// the duplicate within its 5-minute window, and consumers of the other sinks deduplicate by
// alert id.
type Multi struct {
	Sinks []Named
}

// Send delivers alerts to every sink.
func (m *Multi) Send(ctx context.Context, alerts []*alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	if len(m.Sinks) == 1 {
		return wrapSink(m.Sinks[0].Name, m.Sinks[0].Send(ctx, alerts))
	}
	errs := make([]error, len(m.Sinks))
	var wg sync.WaitGroup
	for i, s := range m.Sinks {
		wg.Go(func() { errs[i] = wrapSink(s.Name, s.Send(ctx, alerts)) })
	}
	wg.Wait()
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

func wrapSink(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sink %s: %w", name, err)
}

// alertIDs lists the ids of alerts, for error messages.
func alertIDs[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
