package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/state"
)

// TestDeliverHealth: health alerts take a record's delivery path: claimed once, counted,
// released when the send fails so a later attempt raises them, and committed when delivered.
func TestDeliverHealth(t *testing.T) {
	ctx := context.Background()
	sink := &recordingSink{}
	p := &Pipeline{Rules: rulesOf(windowEngine(t)), Sink: sink, Idempotency: state.NewMemory()}
	var reported []string
	p.OnError = func(err error) { reported = append(reported, err.Error()) }
	health := func(id string) *alert.Alert {
		return &alert.Alert{ID: id, Severity: "HIGH", Rule: alert.Rule{ID: "TH-HEALTH-001", Team: "ledger"}}
	}

	sink.fail = errors.New("queue unavailable")
	err := p.DeliverHealth(ctx, []*alert.Alert{health("h1")})
	if err == nil || !strings.Contains(err.Error(), "health alert h1 (team ledger) not delivered: queue unavailable") {
		t.Fatalf("failed delivery: %v", err)
	}
	if p.Counts.Health() != 0 || p.Counts.Undelivered() != 1 {
		t.Fatalf("failed delivery counted as delivered: %s", p.Counts.Summary())
	}
	sink.fail = nil
	if err := p.DeliverHealth(ctx, []*alert.Alert{health("h1"), health("h2")}); err != nil {
		t.Fatal(err)
	}
	if len(sink.alerts) != 2 || sink.alerts[0].ID != "h1" || p.Counts.Health() != 2 {
		t.Fatalf("the released claim did not let h1 through: %d delivered, %s", len(sink.alerts), p.Counts.Summary())
	}
	// Delivered once: another container (the same state) raises nothing again.
	if err := p.DeliverHealth(ctx, []*alert.Alert{health("h1")}); err != nil || len(sink.alerts) != 2 || p.Counts.Health() != 2 {
		t.Fatalf("a delivered health alert was sent again: %v, %d delivered", err, len(sink.alerts))
	}
	if s := p.Counts.Summary(); !strings.Contains(s, "0 records:") || !strings.Contains(s, "2 health alerts") || p.Counts.Alerts() != 0 {
		t.Fatalf("summary %q", s)
	}
	if len(reported) != 0 {
		t.Fatalf("reported %q", reported)
	}
}
