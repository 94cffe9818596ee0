package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
)

// Outcome is how one input record ended. Every record ends in exactly one.
type Outcome int

// The outcomes, in the order the docs list them (docs/ARCHITECTURE.md).
const (
	NoMatch Outcome = iota
	Alerted
	Suppressed
	Malformed
	RuleError
	SinkFailed
	// Rejected: well-formed input refused at the trust boundary, not evaluated: an
	// EventBridge event that AWS did not send (see event.ErrForgedEnvelope), or a bare record
	// where only EventBridge events are admitted (event.ErrUnenveloped). Counted apart from
	// malformed because it is a possible forgery, not a broken file; RejectReason names why.
	Rejected
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"no_match", "alerted", "suppressed", "malformed", "rule_error", "sink_failed", "rejected"}

func (o Outcome) String() string {
	if o < 0 || o >= numOutcomes {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// Outcomes lists every outcome in order.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// Reasons a record that matched a rule counts as suppressed: it raised no new alert.
const (
	// ReasonDuplicate: the alert id was already raised (a redelivered or replayed event).
	ReasonDuplicate = "duplicate"
	// ReasonDedup: folded into an open dedup window; that alert was re-delivered with the same
	// id and a higher dedup.count.
	ReasonDedup = "dedup"
	// ReasonThresholdPending: counted toward a threshold not reached yet; nothing delivered.
	ReasonThresholdPending = "threshold_pending"
	// ReasonThresholdFolded: folded into a threshold alert already raised; that alert was
	// re-delivered with the same id and a higher dedup.count.
	ReasonThresholdFolded = "threshold_folded"
)

// Reasons a record was rejected.
const (
	// RejectForgedEnvelope: the EventBridge envelope is not one AWS sends for its record.
	RejectForgedEnvelope = "forged_envelope"
	// RejectUnenveloped: a bare record reached a handler that admits only EventBridge events.
	RejectUnenveloped = "unenveloped"
)

var rejectNames = [...]string{RejectForgedEnvelope, RejectUnenveloped}

// RejectReason returns the reason a decode error is a rejection, and false for any other
// error (a malformed input).
func RejectReason(err error) (string, bool) {
	switch {
	case errors.Is(err, event.ErrForgedEnvelope):
		return RejectForgedEnvelope, true
	case errors.Is(err, event.ErrUnenveloped):
		return RejectUnenveloped, true
	}
	return "", false
}

// ReasonStateUnavailable names an alert delivered although the state store (idempotency or
// its dedup window) did not answer: delivery fails open (SECURITY.md), so the alert may be
// delivered twice with the same id. Counted in Counts.StateUnavailable.
const ReasonStateUnavailable = "state_unavailable"

var reasonNames = [...]string{ReasonDuplicate, ReasonDedup, ReasonThresholdPending, ReasonThresholdFolded, ReasonSuppression, ReasonException, ReasonStaged}

// Counts tallies outcomes and alerts. It is safe for concurrent use.
type Counts struct {
	byOutcome   [numOutcomes]atomic.Int64
	alerts      atomic.Int64
	updates     atomic.Int64
	maxSeverity atomic.Int64
	byReason    [len(reasonNames)]atomic.Int64
	oversize    atomic.Int64
	byReject    [len(rejectNames)]atomic.Int64
	capped      atomic.Int64
	bySuppr     sync.Map // suppression id -> *atomic.Int64

	undelivered      atomic.Int64
	stateUnavailable atomic.Int64
	byException      sync.Map // tuning exception id -> *atomic.Int64
	byDisabled       sync.Map // disabled rule id -> *atomic.Int64
	staged           atomic.Int64
	health           atomic.Int64
}

// Health is the number of health alerts delivered (Pipeline.DeliverHealth): team packs not
// loaded, rules bundles refused. They are no record's outcome and not among Alerts.
func (c *Counts) Health() int64 { return c.health.Load() }

// Exceptions returns how many alerts each tuning exception (by id) lowered or suppressed.
func (c *Counts) Exceptions() map[string]int64 { return loadCounts(&c.byException) }

// Disabled returns how many events each disabled rule matched (counted only when the
// pipeline evaluates disabled rules; a dedup or threshold rule raises fewer alerts).
func (c *Counts) Disabled() map[string]int64 { return loadCounts(&c.byDisabled) }

// Staged is the number of events that staged rules matched.
func (c *Counts) Staged() int64 { return c.staged.Load() }

func (c *Counts) exceptionBy(id string) { addCount(&c.byException, id) }

func (c *Counts) disabledBy(id string) { addCount(&c.byDisabled, id) }

func addCount(m *sync.Map, id string) {
	n, _ := m.LoadOrStore(id, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

func loadCounts(m *sync.Map) map[string]int64 {
	out := map[string]int64{}
	m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// Undelivered is the number of (alert, destination) deliveries that failed: each is reported
// on its own (Result.Errs), and its record ends sink_failed so that AWS retries it, which
// re-sends only what failed.
func (c *Counts) Undelivered() int64 { return c.undelivered.Load() }

// StateUnavailable is the number of alerts delivered without idempotency or dedup state
// because the state store did not answer (ReasonStateUnavailable).
func (c *Counts) StateUnavailable() int64 { return c.stateUnavailable.Load() }

// Oversize is the number of records over the rule set's input limit, which team rules
// did not evaluate.
func (c *Counts) Oversize() int64 { return c.oversize.Load() }

// Suppressions returns how many alerts each team suppression (by id) kept from delivery.
func (c *Counts) Suppressions() map[string]int64 { return loadCounts(&c.bySuppr) }

func (c *Counts) suppressedBy(id string) { addCount(&c.bySuppr, id) }

// Suppressed returns the number of suppressed records with this reason (Reason* constants).
func (c *Counts) Suppressed(reason string) int64 {
	for i, r := range reasonNames {
		if r == reason {
			return c.byReason[i].Load()
		}
	}
	return 0
}

// FindingsCapped is the number of findings left out by engine.MaxFindings (a rule raising
// more than that for one event).
func (c *Counts) FindingsCapped() int64 { return c.capped.Load() }

// Rejected returns the number of records rejected with this reason (Reject* constants).
func (c *Counts) Rejected(reason string) int64 {
	for i, r := range rejectNames {
		if r == reason {
			return c.byReject[i].Load()
		}
	}
	return 0
}

func (c *Counts) rejected(reason string) {
	c.Add(Rejected)
	for i, r := range rejectNames {
		if r == reason {
			c.byReject[i].Add(1)
		}
	}
}

// Updates is the number of alert updates delivered: dedup and threshold alerts re-delivered
// with the same id and a higher count.
func (c *Counts) Updates() int64 { return c.updates.Load() }

func (c *Counts) suppressed(reason string) {
	for i, r := range reasonNames {
		if r == reason {
			c.byReason[i].Add(1)
		}
	}
}

// Add counts one record's outcome.
func (c *Counts) Add(o Outcome) { c.byOutcome[o].Add(1) }

// Get returns the number of records with outcome o.
func (c *Counts) Get(o Outcome) int64 { return c.byOutcome[o].Load() }

// Records is the number of records counted.
func (c *Counts) Records() int64 {
	var n int64
	for i := range c.byOutcome {
		n += c.byOutcome[i].Load()
	}
	return n
}

// Alerts is the number of alerts delivered to the sink.
func (c *Counts) Alerts() int64 { return c.alerts.Load() }

// MaxSeverity is the highest severity delivered, 0 if none.
func (c *Counts) MaxSeverity() rule.Severity { return rule.Severity(c.maxSeverity.Load()) }

func (c *Counts) alerted(sev rule.Severity) {
	c.alerts.Add(1)
	for {
		cur := c.maxSeverity.Load()
		if int64(sev) <= cur || c.maxSeverity.CompareAndSwap(cur, int64(sev)) {
			return
		}
	}
}

// Failed reports whether any record was malformed, rejected or hit a rule error (CLI exit
// status 2).
func (c *Counts) Failed() bool {
	return c.Get(Malformed) > 0 || c.Get(RuleError) > 0 || c.Get(SinkFailed) > 0 || c.Get(Rejected) > 0
}

// Summary is the one-line outcome summary the CLI prints and the Lambda logs.
func (c *Counts) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d records:", c.Records())
	for _, o := range Outcomes() {
		fmt.Fprintf(&b, " %s=%d", o, c.Get(o))
	}
	fmt.Fprintf(&b, "; %d alerts", c.Alerts())
	if n := c.Updates(); n > 0 {
		fmt.Fprintf(&b, ", %d updates", n)
	}
	b.WriteString(HealthSuffix(c.Health()))
	if c.Get(Suppressed) > 0 {
		b.WriteString(" (suppressed:")
		for _, r := range reasonNames {
			if n := c.Suppressed(r); n > 0 {
				fmt.Fprintf(&b, " %s=%d", r, n)
			}
		}
		b.WriteString(")")
	}
	if c.Get(Rejected) > 0 {
		b.WriteString(" (rejected:")
		for _, r := range rejectNames {
			if n := c.Rejected(r); n > 0 {
				fmt.Fprintf(&b, " %s=%d", r, n)
			}
		}
		b.WriteString(")")
	}
	if by := c.Suppressions(); len(by) > 0 {
		b.WriteString("; by suppression:")
		for _, id := range slices.Sorted(maps.Keys(by)) {
			fmt.Fprintf(&b, " %s=%d", id, by[id])
		}
	}
	if n := c.FindingsCapped(); n > 0 {
		fmt.Fprintf(&b, "; %d findings over the cap of %d per rule per event left out", n, engine.MaxFindings)
	}
	for _, by := range []struct {
		label string
		m     map[string]int64
	}{{"by exception", c.Exceptions()}, {"events matched by disabled rules", c.Disabled()}} {
		if len(by.m) == 0 {
			continue
		}
		fmt.Fprintf(&b, "; %s:", by.label)
		for _, id := range slices.Sorted(maps.Keys(by.m)) {
			fmt.Fprintf(&b, " %s=%d", id, by.m[id])
		}
	}
	if n := c.Staged(); n > 0 {
		fmt.Fprintf(&b, "; %d events of staged rules", n)
	}
	if n := c.Oversize(); n > 0 {
		fmt.Fprintf(&b, "; %d records over the team input limit", n)
	}
	if n := c.Undelivered(); n > 0 {
		fmt.Fprintf(&b, "; %d alert deliveries failed", n)
	}
	if n := c.StateUnavailable(); n > 0 {
		fmt.Fprintf(&b, "; %d alerts delivered without state (%s)", n, ReasonStateUnavailable)
	}
	return b.String()
}

func parseSeverity(s string) (rule.Severity, error) { return rule.ParseSeverity(s) }

// HealthSuffix is how an outcome line counts n health alerts: ", 1 health alert", ", 3 health
// alerts", or nothing for none.
func HealthSuffix(n int64) string {
	switch {
	case n == 1:
		return ", 1 health alert"
	case n > 1:
		return fmt.Sprintf(", %d health alerts", n)
	}
	return ""
}
