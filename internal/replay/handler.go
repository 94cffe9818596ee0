package replay

import (
	"context"
	"slices"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
)

// PipelineHandler runs a replay through a pipeline: records are evaluated on the decoding
// workers (pipeline.Evaluate) and delivered in input order (pipeline.Deliver), so the alerts,
// their ids, dedup and threshold windows and the outcome counts are exactly those a scan of
// the same files in the same order gives. Records no rule selects never reach Rego.
type PipelineHandler struct {
	P *pipeline.Pipeline
}

// Evaluate settles a record no rule wants, or one whose evaluation leaves nothing to deliver
// (both end as no_match); otherwise it returns the evaluation, holding its own copy of the
// record.
func (h PipelineHandler) Evaluate(ctx context.Context, rec event.Record) (*pipeline.Evaluated, bool) {
	if !h.P.Wants(&rec.Header) {
		return nil, false
	}
	rec.Raw = slices.Clone(rec.Raw) // Deliver builds the alert from it, after the decoder moved on
	ev := h.P.Evaluate(ctx, rec)
	if ev.Quiet() {
		return nil, false
	}
	return ev, true
}

// WantsEvent reports whether Evaluate would do more than settle a record of this event
// (pipeline.Pipeline.WantsEvent).
func (h PipelineHandler) WantsEvent(eventSource, eventName string) bool {
	return h.P.WantsEvent(eventSource, eventName)
}

// Settled counts records Evaluate settled as no_match.
func (h PipelineHandler) Settled(n int) {
	for range n {
		h.P.Counts.Add(pipeline.NoMatch)
	}
}

// Deliver delivers an evaluated record.
func (h PipelineHandler) Deliver(ctx context.Context, ev *pipeline.Evaluated) { h.P.Deliver(ctx, ev) }

// Malformed counts and reports an item that could not be decoded.
func (h PipelineHandler) Malformed(err error) { h.P.Malformed(err) }
