package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// This file evaluates the rules one Select returns together: one prepared query per pack
// binds every selected rule's alert set, so the helpers they share (the caller, the target,
// the outcome, the summary phrases) are evaluated once per event instead of once per rule, and
// one deadline covers the event. Isolation is kept by falling back: when the joint evaluation
// fails (a builtin error, a conflict, the deadline), or a rule's alert set is undefined, each
// rule of the batch is evaluated on its own, with its own deadline, exactly as without
// batching, so errors name the rule and the other rules' findings stand.

// selection is the batches of one Select result, prepared on first use. A pack's rules are
// contiguous in a Select result (packs are added one after the other), so evaluating batch
// after batch yields findings in the order the rules are selected.
type selection struct {
	rules   []*Compiled
	once    sync.Once
	batches []*batch
}

// batch is the selected rules of one pack and their joint query (nil: evaluate one by one).
type batch struct {
	rules []*Compiled
	query *rego.PreparedEvalQuery
}

// indexSelections records a selection for every list Select can return, keyed by the address
// of its first element: Evaluate recognises a Select result without hashing rule ids.
func (e *Engine) indexSelections() {
	e.selections = map[**Compiled]*selection{}
	for _, byName := range e.bySource {
		for _, list := range byName {
			if len(list) > 0 {
				e.selections[&list[0]] = &selection{rules: list}
			}
		}
	}
}

// selectionOf returns the selection for a Select result, nil for any other slice.
func (e *Engine) selectionOf(selected []*Compiled) *selection {
	if len(selected) == 0 {
		return nil
	}
	s := e.selections[&selected[0]]
	if s == nil || len(s.rules) != len(selected) {
		return nil
	}
	return s
}

// prepared returns the selection's batches, preparing their queries the first time.
func (s *selection) prepared(ctx context.Context) []*batch {
	s.once.Do(func() {
		byCompiler := map[*ast.Compiler]*batch{}
		for _, c := range s.rules {
			b := byCompiler[c.compiler]
			if b == nil {
				b = &batch{}
				byCompiler[c.compiler] = b
				s.batches = append(s.batches, b)
			}
			b.rules = append(b.rules, c)
		}
		for _, b := range s.batches {
			if len(b.rules) > 1 {
				b.query = prepareBatch(ctx, b.rules)
			}
		}
	})
	return s.batches
}

// prepareBatch prepares the query binding r0, r1, ... to the rules' alert sets; nil when it
// cannot be prepared (the rules are then evaluated one by one).
func prepareBatch(ctx context.Context, rules []*Compiled) *rego.PreparedEvalQuery {
	parts := make([]string, len(rules))
	for i, c := range rules {
		parts[i] = fmt.Sprintf("%s = %s", batchVar(i), c.Rule.Query())
	}
	q, err := rego.New(
		rego.Query(strings.Join(parts, "; ")),
		rego.Compiler(rules[0].compiler),
		rego.Capabilities(rules[0].caps),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil
	}
	return &q
}

func batchVar(i int) string { return fmt.Sprintf("r%d", i) }

// evalBatch evaluates a batch and appends its findings and rule errors.
func (e *Engine) evalBatch(ctx context.Context, b *batch, input ast.Value, findings []Finding, errs []error) ([]Finding, []error) {
	if b.query != nil {
		if rs, ok := e.evalJoint(ctx, b, input); ok {
			for i, c := range b.rules {
				fs, err := decodeAlertSet(c, rs[0].Bindings[batchVar(i)])
				if err != nil {
					errs = append(errs, &RuleError{Rule: c.Rule, Err: err})
					continue
				}
				findings = append(findings, fs...)
			}
			return findings, errs
		}
	}
	for _, c := range b.rules {
		fs, err := e.evalRule(ctx, c, input)
		if err != nil {
			errs = append(errs, &RuleError{Rule: c.Rule, Err: err})
			continue
		}
		findings = append(findings, fs...)
	}
	return findings, errs
}

// evalJoint runs the batch's joint query under one deadline. It reports !ok when the rules
// must be evaluated one by one instead: the evaluation failed, or some alert set is undefined.
func (e *Engine) evalJoint(ctx context.Context, b *batch, input ast.Value) (rego.ResultSet, bool) {
	ctx, cancel := context.WithTimeout(ctx, e.deadline)
	defer cancel()
	rs, err := b.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil || len(rs) != 1 {
		return nil, false
	}
	return rs, true
}
