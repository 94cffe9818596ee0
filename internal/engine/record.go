package engine

import (
	"context"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Enricher fetches the lookups the selected rules declare (custom.enrich) for one record;
// the result becomes input.enrichment. A lookup that fails is returned as a note, never as a
// lost record (internal/enrich implements it).
type Enricher interface {
	Enrich(ctx context.Context, lookups []string, in RuleInput) (Enrichment, []string)
}

// RuleInput is a record as the rules read it (Input), as EvaluateRecord hands it to an
// Enricher.
type RuleInput struct{ value ast.Value }

// NewRuleInput wraps a rules' input value (Input's).
func NewRuleInput(v ast.Value) RuleInput { return RuleInput{v} }

// Value is the input value, for the lib queries (Engine.Subjects) and for reading its fields.
func (in RuleInput) Value() ast.Value { return in.value }

// Enrichment is input.enrichment: what an Enricher looked up, as the rules read it. The zero
// Enrichment is none.
type Enrichment struct{ value ast.Value }

// NewEnrichment wraps the value of input.enrichment.
func NewEnrichment(v ast.Value) Enrichment { return Enrichment{v} }

// Value is input.enrichment's value; nil when there is none.
func (en Enrichment) Value() ast.Value { return en.value }

// Doc is input.enrichment as plain Go values (map[string]any, []any, string, json.Number,
// bool), for alert contexts; nil when there is none.
func (en Enrichment) Doc() map[string]any {
	if en.value == nil {
		return nil
	}
	j, err := ast.JSON(en.value)
	if err != nil {
		return nil
	}
	m, _ := j.(map[string]any)
	return m
}

// Evaluation is what EvaluateRecord found for one record.
type Evaluation struct {
	// Input is the rules' input (the record, input.facts and input.enrichment), which the
	// alert builder reads the record's fields from.
	Input    ast.Value
	Findings []Finding
	Errs     []error // the rules that failed (*RuleError), each named
	// Enrichment and Notes are the Enricher's answer: input.enrichment and one note per
	// lookup that could not be made.
	Enrichment Enrichment
	Notes      []string
	// Actor is the event's caller, resolved when some rule found something (the joint query
	// usually resolved it along with the rules); ActorErr says why it is nil (ErrNoLib when no
	// lib is loaded).
	Actor    map[string]any
	ActorErr error
}

// EvaluateRecord is one record's evaluation by the engine that selected it, the one call a
// record makes into the engine: it parses raw into the rules' input (Input), enriches it
// with the lookups the selected rules declare when enricher is not nil, evaluates the
// selection and, when some rule found something, resolves the caller for the alerts. It
// fails only when raw is not a JSON object the rules can read.
func (sel Selection) EvaluateRecord(ctx context.Context, raw []byte, enricher Enricher) (Evaluation, error) {
	e := sel.e
	input, err := Input(raw)
	if err != nil {
		return Evaluation{}, err
	}
	var ev Evaluation
	if enricher != nil {
		if lookups := sel.Lookups(); len(lookups) > 0 {
			ev.Enrichment, ev.Notes = enricher.Enrich(ctx, lookups, RuleInput{input})
			if ev.Enrichment.value != nil {
				input = WithEnrichment(input, ev.Enrichment.value)
			}
		}
	}
	ev.Input = input
	ev.Findings, ev.Errs = e.Evaluate(ctx, sel, input)
	if len(ev.Findings) > 0 {
		ev.Actor = findingsActor(ev.Findings)
		if ev.Actor == nil {
			ev.Actor, ev.ActorErr = e.Actor(ctx, input)
		}
	}
	return ev, nil
}

// findingsActor returns the caller the engine resolved along with the findings, if it did.
func findingsActor(findings []Finding) map[string]any {
	for _, f := range findings {
		if f.Actor != nil {
			return f.Actor
		}
	}
	return nil
}
