package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	deliverytrack "github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/event"
)

// This file is the end of the settle stage: sending a record's alerts to the sink, and the
// idempotency claims around it (claimed before, committed once delivered, released when the
// delivery failed so the retry raises the alerts again). Health alerts take the same way
// (DeliverHealth).

// send delivers the alerts d collected for a record, settles its claims and counts what was
// delivered.
func (p *Pipeline) send(ctx context.Context, origin event.Origin, d *delivery, res *Result) {
	all := append(append([]*alert.Alert{}, d.fresh...), d.updates...)
	tracker := deliverytrack.NewTracker(d.prior)
	if err := p.Sink.Send(deliverytrack.WithTracker(ctx, tracker), all); err != nil {
		p.partial(ctx, origin, d, all, err, tracker, res)
		return
	}
	p.commit(ctx, d, res)
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

// DeliverHealth delivers health alerts (a team pack that is not loaded, a rules bundle that
// was refused: internal/ruleset) the way a record's alerts are delivered: each is claimed
// (idempotency, so a fleet raises it once), sent, and its claim committed, or released when
// the send failed so that a later attempt raises it. A claim the state store could not answer
// sends the alert anyway (fail open, Counts.StateUnavailable). Delivered health alerts are
// counted in Counts.Health, failed deliveries in Counts.Undelivered; they are no record's
// outcome. The error names each alert not delivered.
func (p *Pipeline) DeliverHealth(ctx context.Context, alerts []*alert.Alert) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	var errs []error
	for _, a := range alerts {
		var d delivery
		var prior map[string][]string
		if p.Idempotency != nil {
			fresh, delivered, err := p.claim(ctx, a.ID, now().UTC())
			switch {
			case err != nil:
				p.report(fmt.Errorf("health alert %s: idempotency check failed; delivering it anyway (%s): %w", a.ID, ReasonStateUnavailable, err))
				p.Counts.stateUnavailable.Add(1)
			case !fresh:
				continue // raised already
			default:
				d.claims = []string{a.ID}
				if len(delivered) > 0 {
					prior = map[string][]string{a.ID: delivered}
				}
			}
		}
		tracker := deliverytrack.NewTracker(prior)
		if err := p.Sink.Send(deliverytrack.WithTracker(ctx, tracker), []*alert.Alert{a}); err != nil {
			p.Counts.undelivered.Add(int64(max(1, len(tracker.Failed(a.ID)))))
			errs = append(errs, fmt.Errorf("health alert %s (team %s) not delivered: %w", a.ID, a.Rule.Team, err))
			if len(d.claims) > 0 {
				p.releaseHealth(ctx, a.ID, tracker)
			}
			continue
		}
		var res Result
		p.commit(ctx, &d, &res)
		for _, err := range res.Errs {
			p.report(err)
		}
		p.Counts.health.Add(1)
	}
	return errors.Join(errs...)
}

// releaseHealth releases the claim on a health alert whose delivery failed, remembering the
// destinations it reached when the store keeps them (PartialDelivery).
func (p *Pipeline) releaseHealth(ctx context.Context, id string, tracker *deliverytrack.Tracker) {
	ctx, cancel := p.stateCtx(ctx)
	defer cancel()
	var err error
	if pd, ok := p.Idempotency.(PartialDelivery); ok {
		err = pd.ReleasePartial(ctx, id, tracker.Delivered(id))
	} else {
		err = p.Idempotency.Release(ctx, id)
	}
	if err != nil {
		p.report(fmt.Errorf("health alert %s: release its idempotency claim: %w", id, err))
	}
}
