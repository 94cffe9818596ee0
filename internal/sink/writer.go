// Package sink delivers alerts: to a writer (stdout or a file) for the CLI, and to the triage
// queue services (SQS, Security Hub, SNS, EventBridge) in AWS, with retries.
package sink

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/ocsf"
)

// Format is how a Writer renders alerts.
type Format string

// Formats.
const (
	JSON Format = "json" // JSON Lines, one Alert v1 per line
	Text Format = "text" // for a person
	OCSF Format = "ocsf" // JSON Lines, one OCSF 1.6 Detection Finding per line
)

// Writer writes alerts to an io.Writer. It is safe for concurrent use.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	format Format
}

// NewWriter returns a sink writing to w in the given format.
func NewWriter(w io.Writer, format Format) (*Writer, error) {
	if format != JSON && format != Text && format != OCSF {
		return nil, fmt.Errorf("unknown output format %q (want json, text or ocsf)", format)
	}
	return &Writer{w: w, format: format}, nil
}

// Send writes the alerts.
func (s *Writer) Send(_ context.Context, alerts []*alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range alerts {
		switch s.format {
		case JSON:
			if err := alert.WriteJSON(s.w, a); err != nil {
				return err
			}
			continue
		case OCSF:
			if err := ocsf.WriteJSON(s.w, a); err != nil {
				return err
			}
			continue
		}
		if _, err := io.WriteString(s.w, alert.Text(a)+"\n"); err != nil {
			return fmt.Errorf("write alert %s: %w", a.ID, err)
		}
	}
	return nil
}
