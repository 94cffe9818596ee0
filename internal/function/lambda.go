// Package function is the AWS Lambda function (cmd/bootstrap, and cmd/detector when AWS Lambda
// starts it): initialisation from the environment (lambda_init.go), the handler of the
// detector function (lambda.go: EventBridge events and SQS batches through the pipeline, its
// failure policy, metrics and logs), the rules bundle's hot reload (lambda_rules*.go), IAM
// enrichment (lambda_enrich.go), and the backtest function (backtest_lambda.go).
package function

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

// The Lambda handler. An invocation is either an EventBridge event (the rule in
// deploy/template.yaml targets the function directly) or an SQS batch (EventBridge -> queue ->
// event source mapping with ReportBatchItemFailures). Each record runs through the same
// pipeline.Pipeline the CLI uses.
//
// Failure policy, by outcome:
//   - sink_failed: some alert did not reach some destination. Delivery is per alert and per
//     destination (internal/delivery): the alerts that reached every destination are committed
//     and not sent again; each failed alert is counted (alert_delivery_failed) and logged on
//     its own, and its claim is released with the destinations it did reach. An SQS message is
//     reported in batchItemFailures (SQS redelivers it, then moves it to the queue's DLQ); an
//     EventBridge invocation returns an error (Lambda's async retries, then the on-failure
//     destination). The retry re-sends only what failed.
//   - state unavailable (DynamoDB does not answer): delivery fails open, see SECURITY.md.
//   - malformed: reported the same way, so the input ends in a DLQ where someone can look at
//     it rather than only in a log line.
//   - rejected: an EventBridge event whose envelope AWS did not send (its source is not the
//     AWS source of detail.eventSource, or its account is not detail.recipientAccountId), or
//     a record that did not come in an EventBridge event at all (AWS only ever invokes the
//     function with EventBridge events, directly or through the ingest queue). Logged as a
//     possible forgery (identifiers and the reason only, never the event) and failed like
//     malformed, so the event itself is kept in a DLQ as evidence. Never evaluated.
//   - rule_error: counted, logged and emitted as a metric, but not retried: a rule error is
//     deterministic (same rule, same event, same error), so a retry would only loop until the
//     DLQ. The other rules' alerts for the event were still delivered.
//   - no_match, alerted, suppressed: success.

// lambdaHandler holds what lives as long as the warm container: the compiled engine, the
// sinks, the idempotency store and the enricher.
type lambdaHandler struct {
	engine      *engine.Engine
	sink        pipeline.Sink
	idempotency pipeline.Idempotency
	windows     pipeline.Windows // lives as long as the container, like the other state
	enricher    engine.Enricher
	log         *slog.Logger
	metrics     io.Writer         // EMF lines (stdout)
	dimensions  map[string]string // EMF dimensions (FunctionName)
	now         func() time.Time
	// stateTimeout bounds each call to the state store (lambdaStateTimeout).
	stateTimeout time.Duration

	// rules, when set, supplies each invocation's rule set, its routing sink and the health
	// alerts owed (team packs from TEAMS_CONFIG and RULES_BUNDLE, hot-reloaded;
	// lambda_rules.go wires it) in place of engine and sink.
	rules *ruleset.Runtime
}

// invocationSummary is the response to an EventBridge invocation (Lambda discards it for
// asynchronous invocations; it shows in test invokes and on-success destinations).
type invocationSummary struct {
	Records  int64            `json:"records"`
	Outcomes map[string]int64 `json:"outcomes"`
	Alerts   []string         `json:"alerts"`
}

// Handle processes one invocation.
func (h *lambdaHandler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	var active *ruleset.Active
	if h.rules != nil {
		active = h.rules.Current(ctx)
	}
	inv := &invocation{h: h, log: log, p: h.pipeline(ctx, log, active)}
	if active != nil {
		deliverHealth(ctx, inv.p, active.Health, log)
	}
	var resp any
	var err error
	if batch, ok := sqsBatch(payload); ok {
		resp = inv.sqs(ctx, batch)
	} else {
		resp, err = inv.eventBridge(ctx, payload)
	}
	inv.finish(err)
	return resp, err
}

// pipeline returns a Pipeline for one invocation: the active rule set and its routing sink
// (the built-in pack and h.sink without a rule set runtime, in tests), shared state, fresh
// counts.
func (h *lambdaHandler) pipeline(ctx context.Context, log *slog.Logger, active *ruleset.Active) *pipeline.Pipeline {
	p := &pipeline.Pipeline{
		Sink:        h.sink,
		Idempotency: h.idempotency,
		Windows:     h.windows,
		Enricher:    h.enricher,
		Now:         h.now,
		OnError:     func(err error) { log.Warn("record problem", "err", err) },
		// DynamoDB that does not answer must leave the record time to deliver (fail open).
		StateTimeout: h.stateTimeout,
	}
	if active == nil {
		p.Rules = ruleset.FromEngine(h.engine) // the built-in pack alone (tests)
	} else {
		p.Rules, p.Sink, p.StagingRoute = active.Set, active.Sink, active.StagingRoute
		p.OnException = func(o event.Origin, ex tuning.Applied) {
			log.Info("alert tuned", "exception_id", ex.ID, "action", ex.Action, "owner", ex.Owner, "reason", ex.Reason,
				"expires", ex.Expires, "alert_id", ex.AlertID, "rule_id", ex.RuleID, "severity_before", ex.SeverityBefore,
				"severity_after", ex.SeverityAfter, "message_id", o.MessageID)
			if ex.Action == "suppress" {
				h.archiveSuppressed(ctx, log, ex.Alert)
			}
		}
		p.OnSuppress = func(o event.Origin, s team.Suppressed) {
			log.Info("alert suppressed", "suppression_id", s.ID, "team", s.Team, "owner", s.Owner, "reason", s.Reason,
				"expires", s.Expires, "alert_id", s.AlertID, "rule_id", s.RuleID, "message_id", o.MessageID)
			h.archiveSuppressed(ctx, log, s.Alert)
		}
	}
	return p
}

// deliverHealth delivers the health alerts the rule set runtime owes through p, logging
// each one delivered and the ones that were not.
func deliverHealth(ctx context.Context, p *pipeline.Pipeline, alerts []*alert.Alert, log *slog.Logger) {
	if len(alerts) == 0 {
		return
	}
	before := p.Counts.Health()
	if err := p.DeliverHealth(ctx, alerts); err != nil {
		log.Error("health alert not delivered", "err", err)
	}
	if n := p.Counts.Health() - before; n > 0 {
		log.Info("health alerts delivered", "delivered", n, "owed", len(alerts))
	}
}

// invocation is the state of one Handle call.
type invocation struct {
	h       *lambdaHandler
	log     *slog.Logger
	p       *pipeline.Pipeline
	metrics obs.Metrics
	alerts  []string
}

// sqsBatch reports whether payload is an SQS batch (an event source mapping's: its first
// item is an SQS message to the event decoder, and it is an SQSEvent whose first record came
// from aws:sqs), and decodes it.
func sqsBatch(payload []byte) (events.SQSEvent, bool) {
	if framing, ok := event.FirstFraming(payload); !ok || framing != event.FramingSQS {
		return events.SQSEvent{}, false
	}
	var batch events.SQSEvent
	if err := json.Unmarshal(payload, &batch); err != nil || len(batch.Records) == 0 || batch.Records[0].EventSource != "aws:sqs" {
		return events.SQSEvent{}, false
	}
	return batch, true
}

// sqs processes each message of a batch and names the ones that failed.
func (inv *invocation) sqs(ctx context.Context, batch events.SQSEvent) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, msg := range batch.Records {
		if ctx.Err() != nil {
			// Out of time: the rest go back to the queue untouched.
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			continue
		}
		mctx, cancel := recordBudget(ctx, len(batch.Records)-i)
		ok := inv.records(mctx, "sqs:"+msg.MessageId, []byte(msg.Body), msg.MessageId)
		cancel()
		if !ok {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
		}
	}
	if ctx.Err() != nil {
		inv.log.Warn("invocation deadline reached", "err", ctx.Err())
	}
	if n := len(resp.BatchItemFailures); n > 0 {
		inv.log.Warn("batch item failures", "failed_messages", n, "messages", len(batch.Records))
	}
	return resp
}

// lambdaStateTimeout bounds each call to the DynamoDB state (SDK retries included).
const lambdaStateTimeout = 3 * time.Second

// responseReserve is the part of an invocation's remaining time no record may spend: what
// the handler needs to report batchItemFailures and metrics before Lambda stops it.
const responseReserve = 2 * time.Second

// recordBudget bounds one message of a batch to an equal share of the invocation's remaining
// time (less responseReserve) among the messages left, left included: a message whose sink
// keeps failing spends its SDK retries within its share, and the messages after it still get
// theirs (time a message does not use passes to the next). Without a deadline, ctx as is.
func recordBudget(ctx context.Context, left int) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok || left < 1 {
		return context.WithCancel(ctx)
	}
	remaining := time.Until(dl)
	reserve := min(responseReserve, remaining/10)
	share := (remaining - reserve) / time.Duration(left)
	return context.WithTimeout(ctx, max(share, 0))
}

// eventBridge processes an EventBridge event (or any other framing the decoder accepts).
func (inv *invocation) eventBridge(ctx context.Context, payload []byte) (*invocationSummary, error) {
	ok := inv.records(ctx, "invocation", payload, "")
	sum := &invocationSummary{Records: inv.p.Counts.Records(), Outcomes: map[string]int64{}, Alerts: inv.alerts}
	for _, o := range pipeline.Outcomes() {
		sum.Outcomes[o.String()] = inv.p.Counts.Get(o)
	}
	if sum.Alerts == nil {
		sum.Alerts = []string{}
	}
	if !ok {
		return sum, fmt.Errorf("invocation not fully processed: %s", inv.p.Counts.Summary())
	}
	return sum, nil
}

// records runs every record of one input (a message body or the invocation payload) through
// the pipeline and reports whether the input succeeded under the failure policy above.
func (inv *invocation) records(ctx context.Context, name string, input []byte, messageID string) bool {
	ok, n := true, 0
	for rec, err := range event.RecordsBytes(name, input) {
		n++
		if err == nil && rec.Origin.Framing != event.FramingEventBridge {
			err = &event.DecodeError{Origin: rec.Origin, Err: fmt.Errorf("%w (%s framing): the function admits only EventBridge events", event.ErrUnenveloped, rec.Origin.Framing)}
		}
		if err != nil {
			if res := inv.p.Malformed(err); res.Outcome == pipeline.Rejected {
				inv.log.Warn("possible forgery: event rejected at the trust boundary", "reason", res.Reasons[0],
					"err", err, "event_id", rec.EventID, "event_name", rec.EventName, "event_source", rec.EventSource,
					"account", rec.RecipientAccountID, "message_id", messageID)
			}
			ok = false
			continue
		}
		if messageID != "" {
			rec.Origin.MessageID = messageID
		}
		start := time.Now()
		res := inv.p.Process(ctx, rec)
		inv.metrics.Observe("EvaluationLatency", time.Since(start))
		inv.logRecord(rec, res)
		if res.Outcome == pipeline.SinkFailed || res.Outcome == pipeline.Malformed {
			ok = false
		}
	}
	if n == 0 {
		inv.p.Malformed(&event.DecodeError{Origin: event.Origin{File: name, MessageID: messageID}, Err: errors.New("no record in input")})
		return false
	}
	return ok
}

// logRecord logs one record's outcome by its identifiers only.
func (inv *invocation) logRecord(rec event.Record, res pipeline.Result) {
	level := slog.LevelDebug
	var ids, rules []string
	for _, a := range res.Alerts {
		ids = append(ids, a.ID)
		rules = append(rules, a.Rule.ID)
		inv.alerts = append(inv.alerts, a.ID)
	}
	switch res.Outcome {
	case pipeline.Alerted:
		level = slog.LevelInfo
	case pipeline.Suppressed:
		if len(res.Updates) > 0 {
			level = slog.LevelInfo
		}
	case pipeline.SinkFailed, pipeline.RuleError, pipeline.Malformed:
		level = slog.LevelWarn
	}
	attrs := []any{"outcome", res.Outcome.String(), "event_id", rec.EventID, "event_name", rec.EventName,
		"event_source", rec.EventSource, "account", rec.RecipientAccountID, "region", rec.AWSRegion}
	if rec.Origin.MessageID != "" {
		attrs = append(attrs, "message_id", rec.Origin.MessageID)
	}
	if len(ids) > 0 {
		attrs = append(attrs, "alert_ids", ids, "rule_ids", rules)
	}
	if len(res.Updates) > 0 {
		var upd []string
		for _, a := range res.Updates {
			upd = append(upd, a.ID)
		}
		attrs = append(attrs, "updated_alert_ids", upd)
	}
	if len(res.Reasons) > 0 {
		attrs = append(attrs, "reasons", res.Reasons)
	}
	inv.log.Log(context.Background(), level, "record", attrs...)
}

// finish emits the invocation's metrics and summary log line.
func (inv *invocation) finish(err error) {
	c := &inv.p.Counts
	for _, o := range pipeline.Outcomes() {
		inv.metrics.Count(o.String(), c.Get(o))
	}
	inv.metrics.Count("records", c.Records())
	inv.metrics.Count("alerts", c.Alerts())
	inv.metrics.Count("alert_updates", c.Updates())
	inv.metrics.Count("findings_capped", c.FindingsCapped())
	inv.metrics.Count("alert_delivery_failed", c.Undelivered())
	inv.metrics.Count(pipeline.ReasonStateUnavailable, c.StateUnavailable())
	if inv.h.rules != nil {
		for name, n := range inv.h.rules.Metrics() {
			inv.metrics.Count(name, n)
		}
	}
	inv.metrics.Dimensions = inv.h.dimensions
	if werr := inv.metrics.Write(inv.h.metrics, time.Now()); werr != nil {
		inv.log.Error("metrics", "err", werr)
	}
	attrs := []any{"summary", c.Summary()}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	inv.log.Info("invocation done", attrs...)
}
