// Package pipeline is the one flow from a decoded record to delivered alerts, shared by the
// CLI and the Lambda: select rules by event, enrich (only what the selected rules declare),
// evaluate, apply state (idempotency), build Alert v1, send. Every record ends in exactly one
// counted Outcome; nothing is dropped silently.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
)

// Sink delivers alerts. Send returns an error if any alert was not delivered.
type Sink interface {
	Send(ctx context.Context, alerts []*alert.Alert) error
}

// Idempotency remembers which alert ids were raised, so a duplicate delivery of an event
// (Lambda and EventBridge retries, multi-region trails, replays) raises nothing new.
type Idempotency interface {
	// Claim records id and reports whether it was new.
	Claim(ctx context.Context, id string, eventTime time.Time) (bool, error)
	// Release forgets id after a failed delivery, so the retry can raise it.
	Release(ctx context.Context, id string) error
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
	Now         func() time.Time
	// OnError, if set, is told about every malformed record, rule error and sink failure, with
	// the record's origin; the CLI prints these to stderr.
	OnError func(error)
	Counts  Counts
}

// Result is one record's outcome and the alerts it delivered.
type Result struct {
	Outcome Outcome
	Alerts  []*alert.Alert
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

// Malformed counts an input that could not be decoded.
func (p *Pipeline) Malformed(err error) Result {
	p.Counts.Add(Malformed)
	p.report(err)
	return Result{Outcome: Malformed, Errs: []error{err}}
}

// Process runs one record through the pipeline.
func (p *Pipeline) Process(ctx context.Context, rec event.Record) Result {
	res := p.process(ctx, rec)
	p.Counts.Add(res.Outcome)
	for _, err := range res.Errs {
		p.report(err)
	}
	return res
}

func (p *Pipeline) process(ctx context.Context, rec event.Record) Result {
	selected := p.Engine.Select(rec.EventSource, rec.EventName)
	if len(selected) == 0 {
		return Result{Outcome: NoMatch}
	}
	input, err := engine.ParseInput(rec.Raw)
	if err != nil {
		return Result{Outcome: Malformed, Errs: []error{&event.DecodeError{Origin: rec.Origin, Err: err}}}
	}
	var notes []string
	if p.Enricher != nil {
		if lookups := declaredLookups(selected); len(lookups) > 0 {
			var enrichment ast.Value
			enrichment, notes = p.Enricher.Enrich(ctx, lookups, input)
			if enrichment != nil {
				input = engine.WithEnrichment(input, enrichment)
			}
		}
	}
	findings, ruleErrs := p.Engine.Evaluate(ctx, selected, input)
	res := Result{Outcome: NoMatch}
	for _, err := range ruleErrs {
		res.Errs = append(res.Errs, fmt.Errorf("%s: %w", rec.Origin, err))
	}
	if len(findings) > 0 {
		p.deliver(ctx, rec, input, findings, notes, &res)
	}
	if len(ruleErrs) > 0 && res.Outcome != SinkFailed {
		res.Outcome = RuleError
	}
	return res
}

func (p *Pipeline) deliver(ctx context.Context, rec event.Record, input ast.Value, findings []engine.Finding, notes []string, res *Result) {
	actor, actorErr := p.Engine.Actor(ctx, input)
	var extra map[string]any
	if len(notes) > 0 {
		extra = map[string]any{"notes": notes}
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	evTime, _ := event.ParseTime(rec.EventTime)
	var claimed []*alert.Alert
	duplicates := 0
	for _, f := range findings {
		a, err := alert.Build(alert.Input{Finding: f, Record: rec, Actor: actor, ActorErr: actorErr, Context: extra, Now: now()})
		if err != nil {
			res.Errs = append(res.Errs, fmt.Errorf("%s: rule %s: %w", rec.Origin, f.Rule.ID, err))
			res.Outcome = RuleError
			continue
		}
		if p.Idempotency != nil {
			fresh, err := p.Idempotency.Claim(ctx, a.ID, evTime)
			if err != nil {
				res.Errs = append(res.Errs, fmt.Errorf("%s: idempotency check for alert %s: %w", rec.Origin, a.ID, err))
				res.Outcome = SinkFailed
				return
			}
			if !fresh {
				duplicates++
				continue
			}
		}
		claimed = append(claimed, &a)
	}
	if len(claimed) == 0 {
		if duplicates > 0 {
			res.Outcome = Suppressed
		}
		return
	}
	if err := p.Sink.Send(ctx, claimed); err != nil {
		var errs []error
		if p.Idempotency != nil {
			for _, a := range claimed {
				if rerr := p.Idempotency.Release(ctx, a.ID); rerr != nil {
					errs = append(errs, rerr)
				}
			}
		}
		res.Errs = append(res.Errs, fmt.Errorf("%s: deliver %d alert(s): %w", rec.Origin, len(claimed), errors.Join(append([]error{err}, errs...)...)))
		res.Outcome = SinkFailed
		return
	}
	for _, a := range claimed {
		sev, _ := parseSeverity(a.Severity)
		p.Counts.alerted(sev)
	}
	res.Alerts = claimed
	if res.Outcome == NoMatch {
		res.Outcome = Alerted
	}
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
