package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestAttribute(t *testing.T) {
	ids := []string{"a1", "a2", "a3"}
	if got := Attribute(nil, ids); got != nil {
		t.Fatalf("nil error attributed: %v", got)
	}
	// A sink's per-alert errors, wrapped with its context, joined with a batch failure.
	sinkErr := fmt.Errorf("sqs https://q: %w", errors.Join(
		&AlertError{AlertID: "a1", Err: errors.New("message of 300000 bytes exceeds the SQS limit")},
		ForAlerts([]string{"a3"}, errors.New("throttled")),
	))
	got := Attribute(fmt.Errorf("sink sqs: %w", sinkErr), ids)
	if len(got) != 2 || got["a2"] != nil {
		t.Fatalf("attributed %v", got)
	}
	if want := "sink sqs: sqs https://q: message of 300000 bytes exceeds the SQS limit"; got["a1"].Error() != want {
		t.Errorf("a1: %q, want %q", got["a1"], want)
	}
	if want := "sink sqs: sqs https://q: throttled"; got["a3"].Error() != want {
		t.Errorf("a3: %q, want %q", got["a3"], want)
	}
	// An error that names no alert fails them all.
	got = Attribute(fmt.Errorf("sink x: %w", errors.New("connection refused")), ids)
	if len(got) != 3 || got["a2"].Error() != "sink x: connection refused" {
		t.Fatalf("general error attributed %v", got)
	}
}

func TestTrackerSkipsAndRecords(t *testing.T) {
	tr := NewTracker(map[string][]string{"a1": {"default/sqs"}})
	ctx := Within(WithTracker(context.Background(), tr), "default")
	if d := Destination(ctx, "sqs"); d != "default/sqs" {
		t.Fatalf("destination %q", d)
	}
	if !Skip(ctx, "a1", "default/sqs") || Skip(ctx, "a1", "default/sns") || Skip(ctx, "a2", "default/sqs") {
		t.Fatal("skip")
	}
	Record(ctx, "a1", "default/sns", errors.New("x"))
	Record(ctx, "a2", "default/sqs", nil)
	Record(WithTracker(context.Background(), tr), "a1", "default", errors.New("x")) // the route it failed under
	if !slices.Equal(tr.Delivered("a1"), []string{"default/sqs"}) || !slices.Equal(tr.Failed("a1"), []string{"default/sns"}) ||
		!slices.Equal(tr.Delivered("a2"), []string{"default/sqs"}) || tr.Skipped() != 1 {
		t.Fatalf("tracker %+v", tr)
	}
	// Without a tracker nothing is skipped and recording is a no-op.
	if Skip(context.Background(), "a1", "default/sqs") {
		t.Fatal("skipped without a tracker")
	}
	Record(context.Background(), "a1", "x", nil)
}
