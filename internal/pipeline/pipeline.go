// Package pipeline is the one flow from a decoded record to delivered alerts, shared by the
// CLI and the Lambda: select rules by event, enrich (only what the selected rules declare),
// evaluate, build Alert v1, apply state (idempotency, then the dedup and threshold windows of
// rules that declare them; see Windows), send. Every record ends in exactly one counted
// Outcome; nothing is dropped silently.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	deliverytrack "github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/state"
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

// Enricher fetches the lookups the selected rules declared; the result becomes
// input.enrichment. A lookup that fails is returned as a note, never as a lost event.
type Enricher interface {
	Enrich(ctx context.Context, lookups []string, input ast.Value) (ast.Value, []string)
}

// Pipeline processes records. The zero value is not usable: set Engine and Sink.
type Pipeline struct {
	Engine      *engine.Engine
	Sink        Sink
	Idempotency Idempotency // optional
	Enricher    Enricher    // optional
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

	// Team rule packs (teams.go; internal/ruleset implements the interfaces). All optional.
	Policy   Policy   // team policy before delivery: break-glass escalation, suppressions
	Unloaded Unloaded // packs that are not loaded: their events end as rule_error
	// TeamInputLimit, when > 0, is the record size in bytes above which team rules are not
	// evaluated (counted in Counts.Oversize and reported through OnError).
	TeamInputLimit int
	// PackDeadline, when > 0, bounds the time each team pack's rules take together on one
	// event.
	PackDeadline time.Duration
	// OnSuppress, if set, is told about every alert a team suppression kept from delivery.
	OnSuppress func(event.Origin, Suppression)
	// StateTimeout, when > 0, bounds each call to the idempotency and window state, so that a
	// state store that does not answer leaves the record time to deliver its alerts
	// (delivery fails open; SECURITY.md).
	StateTimeout time.Duration

	// Org tuning file (tuning.go; internal/tuning implements the interface). Optional.
	Tuning Tuning
	// StagingRoute: the sink delivers staged alerts to a staging route (the CLI prints
	// them, marked). Without one, staged alerts are counted (suppressed, reason staged) and
	// not delivered.
	StagingRoute bool
	// EvaluateDisabled evaluates disabled rules and counts what they would have raised
	// (Counts.Disabled) instead of leaving them out; nothing of theirs is delivered.
	EvaluateDisabled bool
	// OnException, if set, is told about every alert an exception lowered or suppressed.
	OnException func(event.Origin, Exception)

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

// Process runs one record through the pipeline: Evaluate, then Deliver.
func (p *Pipeline) Process(ctx context.Context, rec event.Record) Result {
	return p.Deliver(ctx, p.Evaluate(ctx, rec))
}

// deliver applies state to a candidate's alerts and delivers what is left: team
// suppression counts, the tuning file, idempotency, the dedup and threshold windows, the sink.
func (p *Pipeline) deliver(ctx context.Context, c *Candidate, res *Result) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	evTime, err := event.ParseTime(c.EventTime)
	if err != nil {
		evTime = now().UTC() // windows need a time; a record without a usable one gets now
	}
	clock, _ := p.trustedClock(c.Origin, now)
	claimTime := evTime
	if state.Ahead(evTime, clock) > 0 {
		// Not believed: idempotency remembers the id from the latest believed event time this
		// pipeline saw (the trusted clock before any), so the claim sweeps nothing.
		claimTime = clock
		if t := p.latest.Load(); t != 0 {
			claimTime = time.Unix(0, t).UTC()
		}
	} else if t := evTime.UnixNano(); t > p.latest.Load() {
		p.latest.Store(t)
	}
	d := delivery{clock: clock}
	for i := range c.Alerts {
		ca := &c.Alerts[i]
		a := ca.Alert
		if ca.Suppressed != nil {
			p.suppressed(c.Origin, *ca.Suppressed, a, &d)
			continue
		}
		r := p.ruleOf(ca)
		if r == nil {
			res.Errs = append(res.Errs, fmt.Errorf("%s: rule %s of a candidate alert is not loaded", c.Origin, a.Rule.ID))
			res.Outcome = RuleError
			continue
		}
		if p.tune(c.Origin, a, &d) {
			continue
		}
		if p.Idempotency != nil {
			fresh, prior, err := p.claim(ctx, a.ID, claimTime)
			switch {
			case errors.Is(err, state.ErrInFlight):
				// Another invocation is delivering it: this event fails, and its retry
				// raises the alert if that invocation dies.
				res.Errs = append(res.Errs, fmt.Errorf("%s: idempotency check for alert %s: %w", c.Origin, a.ID, err))
				p.fail(ctx, &d, res)
				return
			case err != nil:
				// The state store is unavailable: fail open (SECURITY.md). The alert is
				// delivered unclaimed, so a redelivery may raise it again with the same id;
				// consumers keep one copy per id.
				res.Errs = append(res.Errs, fmt.Errorf("%s: idempotency check for alert %s failed; delivering it anyway (%s): %w", c.Origin, a.ID, ReasonStateUnavailable, err))
				p.Counts.stateUnavailable.Add(1)
			case !fresh:
				d.reasons = append(d.reasons, ReasonDuplicate)
				continue
			default:
				d.claims = append(d.claims, a.ID)
				if len(prior) > 0 {
					if d.prior == nil {
						d.prior = map[string][]string{}
					}
					d.prior[a.ID] = prior
				}
			}
		}
		nFresh, nUpdates := len(d.fresh), len(d.updates)
		if err := p.route(ctx, r, a, evTime, &d); err != nil {
			var wu *windowUnavailable
			if errors.As(err, &wu) {
				// The dedup window's state is unavailable: fail open, raising the alert
				// itself (a later event of the group may raise its own alert too).
				res.Errs = append(res.Errs, fmt.Errorf("%s: delivering alert %s without its dedup window (%s): %w", c.Origin, a.ID, ReasonStateUnavailable, err))
				p.Counts.stateUnavailable.Add(1)
				d.fresh = append(d.fresh, a)
				continue
			}
			res.Errs = append(res.Errs, fmt.Errorf("%s: %w", c.Origin, err))
			p.fail(ctx, &d, res)
			return
		}
		if n := len(d.claims); n > 0 && d.claims[n-1] == a.ID {
			if d.owner == nil {
				d.owner = map[*alert.Alert]string{}
			}
			for _, x := range append(d.fresh[nFresh:len(d.fresh):len(d.fresh)], d.updates[nUpdates:]...) {
				d.owner[x] = a.ID
			}
		}
	}
	res.Reasons = d.reasons
	if len(d.fresh)+len(d.updates) == 0 {
		p.commit(ctx, &d, res)
		if len(d.reasons) > 0 && res.Outcome == NoMatch {
			res.Outcome = Suppressed
		}
		return
	}
	all := append(append([]*alert.Alert{}, d.fresh...), d.updates...)
	tracker := deliverytrack.NewTracker(d.prior)
	if err := p.Sink.Send(deliverytrack.WithTracker(ctx, tracker), all); err != nil {
		p.partial(ctx, c.Origin, &d, all, err, tracker, res)
		return
	}
	p.commit(ctx, &d, res)
	for _, a := range d.fresh {
		sev, _ := parseSeverity(a.Severity)
		p.Counts.alerted(sev)
	}
	p.Counts.updates.Add(int64(len(d.updates)))
	res.Alerts, res.Updates = d.fresh, d.updates
	switch {
	case res.Outcome != NoMatch:
	case len(d.fresh) > 0:
		res.Outcome = Alerted
	default:
		res.Outcome = Suppressed
	}
}

// claim claims id, with the destinations an earlier partial delivery reached when the store
// remembers them.
func (p *Pipeline) claim(ctx context.Context, id string, evTime time.Time) (bool, []string, error) {
	ctx, cancel := p.stateCtx(ctx)
	defer cancel()
	if pd, ok := p.Idempotency.(PartialDelivery); ok {
		return pd.ClaimDelivery(ctx, id, evTime)
	}
	fresh, err := p.Idempotency.Claim(ctx, id, evTime)
	return fresh, nil, err
}

// stateCtx bounds a state call by StateTimeout. Its Deadline is still the caller's: a claim's
// lease is derived from it and must cover the whole delivery.
func (p *Pipeline) stateCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.StateTimeout <= 0 {
		return ctx, func() {}
	}
	bounded, cancel := context.WithTimeout(ctx, p.StateTimeout)
	return leaseContext{bounded, ctx}, cancel
}

// leaseContext is canceled as its Context is, and reports the deadline of parent.
type leaseContext struct {
	context.Context
	parent context.Context
}

func (c leaseContext) Deadline() (time.Time, bool) { return c.parent.Deadline() }

// partial settles a delivery that failed for some alerts (delivery.Attribute). Each failed
// alert is counted (Counts.Undelivered, per destination) and reported on its own. A claim
// whose alerts all reached every destination is committed, and they count as delivered; a
// claim with a failed alert is released, with the destinations the alert did reach when
// the alert is the claim's own (PartialDelivery), so the retry AWS makes (the record ends
// sink_failed) re-sends it only where it failed, and re-sends nothing that was delivered.
func (p *Pipeline) partial(ctx context.Context, origin event.Origin, d *delivery, all []*alert.Alert, err error, tracker *deliverytrack.Tracker, res *Result) {
	ids := make([]string, len(all))
	for i, a := range all {
		ids[i] = a.ID
	}
	failed := deliverytrack.Attribute(err, ids)
	failedClaims := map[string]bool{}
	var delivered []*alert.Alert
	for i, a := range all {
		ferr := failed[a.ID]
		if ferr == nil {
			if i < len(d.fresh) {
				delivered = append(delivered, a)
			}
			continue
		}
		failedClaims[d.owner[a]] = true
		p.Counts.undelivered.Add(int64(max(1, len(tracker.Failed(a.ID)))))
		res.Errs = append(res.Errs, fmt.Errorf("%s: alert %s (rule %s) not delivered: %w", origin, a.ID, a.Rule.ID, ferr))
	}
	var commit []string
	sctx, cancel := p.stateCtx(ctx)
	defer cancel()
	for _, id := range d.claims {
		if !failedClaims[id] {
			commit = append(commit, id)
			continue
		}
		pd, ok := p.Idempotency.(PartialDelivery)
		var rerr error
		if ok && failed[id] != nil { // the claim's own alert: remember where it arrived
			rerr = pd.ReleasePartial(sctx, id, tracker.Delivered(id))
		} else {
			rerr = p.Idempotency.Release(sctx, id)
		}
		if rerr != nil {
			res.Errs = append(res.Errs, rerr)
		}
	}
	p.commit(ctx, &delivery{claims: commit}, res)
	for _, a := range delivered {
		if failedClaims[d.owner[a]] && d.owner[a] != "" {
			continue // its claim is released: the retry delivers it again (an upsert)
		}
		sev, _ := parseSeverity(a.Severity)
		p.Counts.alerted(sev)
		res.Alerts = append(res.Alerts, a)
	}
	res.Outcome = SinkFailed
}

// commit settles the record's claims. A failed commit is reported but changes no outcome:
// the alerts are out, and the claim's lease lets a later duplicate through, which the window
// state and the stable ids fold.
func (p *Pipeline) commit(ctx context.Context, d *delivery, res *Result) {
	c, ok := p.Idempotency.(Committer)
	if !ok || len(d.claims) == 0 {
		return
	}
	ctx, cancel := p.stateCtx(ctx)
	defer cancel()
	if err := c.Commit(ctx, d.claims...); err != nil {
		res.Errs = append(res.Errs, fmt.Errorf("commit %d idempotency claim(s): %w", len(d.claims), err))
	}
}

// fail marks the record sink_failed and releases its idempotency claims, so the retry AWS
// makes can raise the alerts. Window state keeps the event counted, and recognises it on the
// retry (state.Decision.Repeat), which delivers the window's current alert again.
func (p *Pipeline) fail(ctx context.Context, d *delivery, res *Result) {
	res.Outcome = SinkFailed
	if p.Idempotency == nil {
		return
	}
	ctx, cancel := p.stateCtx(ctx)
	defer cancel()
	for _, id := range d.claims {
		if err := p.Idempotency.Release(ctx, id); err != nil {
			res.Errs = append(res.Errs, err)
		}
	}
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

func declaredLookups(selected []*engine.Compiled) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range selected {
		for _, l := range c.Rule.Enrich {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

func (p *Pipeline) report(err error) {
	if p.OnError != nil && err != nil {
		p.OnError(err)
	}
}
