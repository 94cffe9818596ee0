package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/state"
)

// This file is the settle stage, the stateful second half of Deliver: it applies the tuning
// file, idempotency and the dedup and threshold windows (windows.go) to a candidate's alerts,
// sends what is left, counts the record's outcome and reports its errors. It must see
// candidates one at a time, in input order, so windows decide as they do when the same
// records are processed one by one.

// delivery collects what one record's findings deliver.
type delivery struct {
	fresh   []*alert.Alert // new alerts
	updates []*alert.Alert // alerts re-delivered with the same id and a higher count
	claims  []string       // idempotency claims to release when delivery fails
	reasons []string       // why findings raised nothing new
	clock   time.Time      // the record's trusted clock (state.Event.Clock)
	// prior holds, per claimed alert, the destinations an earlier partly failed delivery
	// reached (PartialDelivery): the sinks skip them.
	prior map[string][]string
	// owner is the idempotency claim each alert to deliver stands for (the claims are the
	// per-event alert ids; a threshold alert or dedup update has an id of its own).
	owner map[*alert.Alert]string
}

// Settle finishes a candidate: it applies state to its alerts and delivers them, counts the
// record's outcome and reports its warnings and errors.
func (p *Pipeline) Settle(ctx context.Context, c *Candidate) Result {
	for _, w := range c.Warnings {
		p.report(w)
	}
	res := Result{Outcome: c.Outcome, Errs: append([]error(nil), c.Errs...)}
	for _, id := range c.Disabled {
		p.Counts.disabledBy(id)
	}
	p.Counts.capped.Add(int64(c.Capped))
	if len(c.Alerts) > 0 {
		p.settleAlerts(ctx, c, &res)
	}
	if c.RuleError && res.Outcome != SinkFailed {
		res.Outcome = RuleError
	}
	p.Counts.Add(res.Outcome)
	if res.Outcome == Suppressed && len(res.Reasons) > 0 {
		p.Counts.suppressed(res.Reasons[0])
	}
	for _, err := range res.Errs {
		p.report(err)
	}
	return res
}

// settleAlerts applies state to a candidate's alerts and sends what is left: team
// suppression counts, the tuning file, idempotency, the dedup and threshold windows, the sink.
func (p *Pipeline) settleAlerts(ctx context.Context, c *Candidate, res *Result) {
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
		if err := p.observeWindow(ctx, r, a, evTime, &d); err != nil {
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
	p.send(ctx, c.Origin, &d, res)
}
