// Package pipeline is the one flow from a decoded record to delivered alerts, shared by the
// CLI and the Lambda: select rules by event, enrich (only what the selected rules declare),
// evaluate, build Alert v1, apply state (idempotency, then the dedup and threshold windows of
// rules that declare them; see Windows), send. Every record ends in exactly one counted
// Outcome; nothing is dropped silently.
package pipeline

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	deliverytrack "github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

// Sink is what the pipeline delivers to: the one sender interface of internal/delivery.
type Sink = deliverytrack.Sender

// Idempotency remembers which alert ids were raised, so a duplicate delivery of an event
// (Lambda and EventBridge retries, multi-region trails, replays) raises nothing new.
type Idempotency interface {
	// Claim records id and reports whether it was new.
	Claim(ctx context.Context, id string, eventTime time.Time) (bool, error)
	// Release forgets id after a failed delivery, so the retry can raise it.
	Release(ctx context.Context, id string) error
}

// PartialDelivery is implemented by an Idempotency store that remembers, for an alert whose
// delivery failed at some destinations, the destinations it reached (internal/delivery), so
// the retry sends it only to the others (state.Memory, state.Dynamo).
type PartialDelivery interface {
	// ClaimDelivery is Claim that also returns the destinations an earlier, partly failed
	// delivery reached.
	ClaimDelivery(ctx context.Context, id string, eventTime time.Time) (fresh bool, delivered []string, err error)
	// ReleasePartial releases the claim on id, remembering the destinations it reached.
	ReleasePartial(ctx context.Context, id string, delivered []string) error
}

// Committer is implemented by an Idempotency store whose claims stay provisional until
// committed (state.Dynamo). The pipeline commits a record's claims once its outcome is
// settled: the alerts were delivered, or the findings folded into a window or were held below
// a threshold (nothing to deliver). Claim ids are the per-event alert ids, which differ from
// the ids of dedup updates and threshold alerts.
type Committer interface {
	Commit(ctx context.Context, ids ...string) error
}

// Pipeline processes records. The zero value is not usable: set Rules and Sink.
type Pipeline struct {
	// Rules is the rule set, immutable while the pipeline runs (internal/ruleset): the
	// rules, the teams' policy and the org tuning file.
	Rules       RuleSet
	Sink        Sink
	Idempotency Idempotency // optional
	// Enricher, if set, fetches the lookups the selected rules declare (internal/enrich).
	Enricher engine.Enricher
	// Windows holds dedup and threshold windows; when nil, an in-memory store private to
	// this Pipeline. Pipelines that must see each other's events (one per Lambda
	// invocation) share one store: state.DynamoWindows, or one state.MemoryWindows.
	Windows Windows
	Now     func() time.Time
	// Clock, if set, is the best trusted clock for a record and its name: in a replay the
	// time in its log file's name ("log file name"). When nil, or when it returns a zero
	// time, it is Now ("wall clock"). An eventTime more than state.MaxAhead after it is not
	// believed: the alert says so (context.event_time_ahead and a note) and idempotency,
	// dedup and threshold windows count the record at the trusted clock.
	Clock func(event.Origin) (time.Time, string)
	// OnError, if set, is told about every malformed record, rule error and sink failure, with
	// the record's origin; the CLI prints these to stderr.
	OnError func(error)
	Counts  Counts
	// StateTimeout, when > 0, bounds each call to the idempotency and window state, so that a
	// state store that does not answer leaves the record time to deliver its alerts
	// (delivery fails open; SECURITY.md).
	StateTimeout time.Duration

	// OnSuppress, if set, is told about every alert a team suppression kept from delivery.
	OnSuppress func(event.Origin, team.Suppressed)
	// StagingRoute: the sink delivers staged alerts (of the tuning file's staged rules) to a
	// staging route (the CLI prints them, marked). Without one, staged alerts are counted
	// (suppressed, reason staged) and not delivered.
	StagingRoute bool
	// EvaluateDisabled evaluates disabled rules and counts what they would have raised
	// (Counts.Disabled) instead of leaving them out; nothing of theirs is delivered.
	EvaluateDisabled bool
	// OnException, if set, is told about every alert an exception lowered or suppressed.
	OnException func(event.Origin, tuning.Applied)

	defaultWindowsOnce sync.Once
	defaultWindows     *state.MemoryWindows
	latest             atomic.Int64 // latest believed event time delivered, Unix ns
}

// Result is one record's outcome and the alerts it delivered.
type Result struct {
	Outcome Outcome
	Alerts  []*alert.Alert // new alerts delivered
	Updates []*alert.Alert // alerts re-delivered with the same id and a higher dedup.count
	// Reasons say why findings raised nothing new (Reason* constants); when the outcome is
	// Suppressed, Reasons[0] is the reason it was counted under.
	Reasons []string
	Errs    []error
}

// Run processes every record of seq, counting decode errors as malformed.
func (p *Pipeline) Run(ctx context.Context, seq iter.Seq2[event.Record, error]) {
	for rec, err := range seq {
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.Malformed(err)
			continue
		}
		p.Process(ctx, rec)
	}
}

// Malformed counts an input that could not be decoded: outcome malformed, or rejected when
// the decoder refused it at the trust boundary (see RejectReason).
func (p *Pipeline) Malformed(err error) Result {
	if reason, ok := RejectReason(err); ok {
		p.Counts.rejected(reason)
		p.report(err)
		return Result{Outcome: Rejected, Reasons: []string{reason}, Errs: []error{err}}
	}
	p.Counts.Add(Malformed)
	p.report(err)
	return Result{Outcome: Malformed, Errs: []error{err}}
}

// A record's stages, a file each: select (select.go: the rules that evaluate it), evaluate
// (evaluate.go: the engine, with enrichment), prepare (prepare.go: its alerts, and the team
// policy), settle (settle.go: the tuning file, idempotency, the dedup and threshold windows
// of windows.go, the sink), each record ending in one counted outcome (outcome.go).

// Process runs one record through the pipeline: Evaluate, then Deliver.
func (p *Pipeline) Process(ctx context.Context, rec event.Record) Result {
	return p.Deliver(ctx, p.Evaluate(ctx, rec))
}

// Deliver finishes an evaluated record: it builds and delivers its alerts, counts its outcome
// and reports its errors. It is Settle(Prepare(ev)).
func (p *Pipeline) Deliver(ctx context.Context, ev *Evaluated) Result {
	return p.Settle(ctx, p.Prepare(ev))
}

// trustedClock is p.Clock's answer for o, or now() (the wall clock).
func (p *Pipeline) trustedClock(o event.Origin, now func() time.Time) (time.Time, string) {
	if p.Clock != nil {
		if t, name := p.Clock(o); !t.IsZero() {
			return t, name
		}
	}
	return now().UTC(), "wall clock"
}

func (p *Pipeline) report(err error) {
	if p.OnError != nil && err != nil {
		p.OnError(err)
	}
}
