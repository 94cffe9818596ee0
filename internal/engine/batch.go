package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// This file evaluates the rules one Select returns together: one prepared query per pack
// (per compiler: a pack compiled in parts, partition.go, never splits a selection) binds
// every selected rule's alert set, so the helpers they share (the caller, the target, the
// outcome, the summary phrases) are evaluated once per event instead of once per rule, and
// one deadline covers the event. When the pack's compiler holds the lib the lib queries run
// on (Engine.resolvesActor), the same query also resolves the caller (lib.cloudtrail.actor)
// if some rule raised a finding, so the alert's actor reuses the identity facts the rules
// already derived instead of a second query deriving them again. Isolation is kept by falling back: when the joint evaluation
// fails (a builtin error, a conflict, the deadline), or a rule's alert set is undefined, each
// rule of the batch is evaluated on its own, with its own deadline, exactly as without
// batching, so errors name the rule and the other rules' findings stand; the caller is then
// resolved on its own too (Engine.Actor), so a batch's findings carry the actor whichever way
// they were evaluated.

// selection is the batches of one (eventSource, eventName)'s rules, prepared on first use. A
// pack's rules are contiguous in it (packs are added one after the other), so evaluating
// batch after batch yields findings in the order the rules are selected.
type selection struct {
	rules   []*Compiled
	once    sync.Once
	batches []*batch
}

// batch is the selected rules of one pack, rules[start:end] of its selection, and their
// joint query (nil: evaluate them one by one), which also binds the actor when withActor.
type batch struct {
	rules      []*Compiled
	start, end int
	query      *query
	withActor  bool
}

// prepared returns the selection's batches, preparing their queries the first time.
func (s *selection) prepared(e *Engine) []*batch {
	s.once.Do(func() {
		var last *batch
		for i, c := range s.rules {
			if last == nil || c.compiler != last.rules[0].compiler {
				last = &batch{start: i}
				s.batches = append(s.batches, last)
			}
			last.rules = append(last.rules, c)
			last.end = i + 1
		}
		for _, b := range s.batches {
			b.withActor = e.resolvesActor(b.rules[0].compiler)
			if len(b.rules) > 1 || b.withActor {
				b.query = prepareBatch(b.rules, b.withActor, e.actorExpr)
			}
		}
	})
	return s.batches
}

// prepareBatch prepares the query binding r0, r1, ... to the rules' alert sets and, with
// actor, "actor" to a set holding the caller (actorExpr) when some alert set is not empty
// (empty otherwise, so events no rule alerts on do not pay for it); nil when it cannot be
// prepared (the rules are then evaluated one by one).
func prepareBatch(rules []*Compiled, actor bool, actorExpr string) *query {
	bs := make([]binding, len(rules), len(rules)+1)
	sets := make([]string, len(rules))
	for i, c := range rules {
		bs[i] = binding{fmt.Sprintf("r%d", i), c.Rule.Query()}
		sets[i] = fmt.Sprintf("r%d", i)
	}
	if actor {
		// Iterating the alert sets costs nothing for an empty one and one cached lookup per
		// finding; summing their sizes (count, +, >) was a builtin call per rule.
		bs = append(bs, binding{"actor", fmt.Sprintf("{a | some r in [%s]; some _ in r; a := %s}", strings.Join(sets, ", "), actorExpr)})
	}
	q, err := prepareQuery(rules[0].compiler, bs...)
	if err != nil {
		return nil
	}
	return q
}

// evalBatch evaluates a batch and appends its findings and rule errors.
func (e *Engine) evalBatch(ctx context.Context, b *batch, input ast.Value, findings []Finding, errs []error) ([]Finding, []error) {
	if b.query != nil {
		if vs, ok := e.evalJoint(ctx, b, input); ok {
			if e.onJoint != nil {
				e.onJoint()
			}
			var actor map[string]any
			if b.withActor {
				actor = jointActor(vs[len(b.rules)])
			}
			for i, c := range b.rules {
				fs, err := decodeAlertSet(c, vs[i])
				if err != nil {
					errs = append(errs, &RuleError{Rule: c.Rule, Err: err})
					continue
				}
				for j := range fs {
					fs[j].Actor = actor
				}
				findings = append(findings, fs...)
			}
			return findings, errs
		}
	}
	from := len(findings)
	findings, errs = e.evalOneByOne(ctx, b.rules, input, findings, errs)
	if b.withActor && len(findings) > from {
		// The joint query would have resolved the caller: resolve it on its own, with its own
		// deadline, so findings do not depend on which way they were evaluated. When it fails
		// too, the findings stand without it and Engine.Actor reports why.
		if actor, err := e.Actor(ctx, input); err == nil {
			for i := from; i < len(findings); i++ {
				findings[i].Actor = actor
			}
		}
	}
	return findings, errs
}

// evalOneByOne evaluates rules one by one, each with its own deadline, and appends their
// findings and errors.
func (e *Engine) evalOneByOne(ctx context.Context, rules []*Compiled, input ast.Value, findings []Finding, errs []error) ([]Finding, []error) {
	for _, c := range rules {
		fs, err := e.evalRule(ctx, c, input)
		if err != nil {
			errs = append(errs, &RuleError{Rule: c.Rule, Err: err})
			continue
		}
		findings = append(findings, fs...)
	}
	return findings, errs
}

// evalJoint runs the batch's joint query under one deadline and returns the value of each
// binding. It reports !ok when the rules must be evaluated one by one instead: the evaluation
// failed, or some alert set is undefined.
func (e *Engine) evalJoint(ctx context.Context, b *batch, input ast.Value) ([]ast.Value, bool) {
	ctx, cancel := context.WithTimeout(ctx, e.deadline)
	defer cancel()
	vs, ok, err := b.query.eval(ctx, input)
	if err != nil || !ok {
		return nil, false
	}
	return vs, true
}

// jointActor returns the actor a joint query resolved: the one object in the set it bound,
// or nil (no rule alerted, or the lib left the actor undefined; Engine.Actor then reports
// why).
func jointActor(v ast.Value) map[string]any {
	set, ok := v.(ast.Set)
	if !ok || set.Len() != 1 {
		return nil
	}
	var elem *ast.Term
	set.Until(func(t *ast.Term) bool { elem = t; return true })
	m, err := toJSON(elem.Value)
	if err != nil {
		return nil
	}
	obj, _ := m.(map[string]any)
	return obj
}
