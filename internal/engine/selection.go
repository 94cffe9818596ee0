package engine

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// Selection is the rules one event selects, handed to Evaluate as a value. A Selection that
// Select returned carries the event's prepared joint queries (batch.go), whatever is done to
// the value: copied, stored, narrowed with Without. A Selection of any other list of rules
// (OneByOne) evaluates them one by one. The zero Selection selects nothing.
type Selection struct {
	e    *Engine
	s    *selection  // the prepared batches; nil: evaluate list one by one
	list []*Compiled // the rules, in selection order
	left []bool      // left[i]: list[i] is left out (Without); nil when none is
}

// Select returns the rules that declare this (eventSource, eventName). It allocates nothing.
func (e *Engine) Select(eventSource, eventName string) Selection {
	s := e.bySource[eventSource][eventName]
	if s == nil {
		return Selection{e: e}
	}
	return Selection{e: e, s: s, list: s.rules}
}

// OneByOne is a Selection of e's rules evaluated one by one, each with its own deadline,
// with no joint query: the reference that joint evaluation must agree with.
func (e *Engine) OneByOne(rules []*Compiled) Selection { return Selection{e: e, list: rules} }

// Len is the number of rules selected.
func (sel Selection) Len() int {
	n := len(sel.list)
	for _, l := range sel.left {
		if l {
			n--
		}
	}
	return n
}

// Rules returns the rules selected, in order. The slice must not be modified.
func (sel Selection) Rules() []*Compiled {
	if sel.left == nil {
		return sel.list
	}
	out := make([]*Compiled, 0, sel.Len())
	for i, c := range sel.list {
		if !sel.left[i] {
			out = append(out, c)
		}
	}
	return out
}

// Without returns the selection without the rules leave reports true for. It keeps the
// joint queries of the packs none of whose rules it leaves out; it allocates only when it
// leaves a rule out.
func (sel Selection) Without(leave func(*rule.Rule) bool) Selection {
	for i, c := range sel.list {
		if (sel.left == nil || !sel.left[i]) && leave(c.Rule) {
			left := make([]bool, len(sel.list))
			copy(left, sel.left)
			for j := i; j < len(sel.list); j++ {
				left[j] = left[j] || leave(sel.list[j].Rule)
			}
			sel.left = left
			return sel
		}
	}
	return sel
}

// Lookups returns the enrichment lookups the selected rules declare (custom.enrich), each
// once, in rule order.
func (sel Selection) Lookups() []string {
	var out []string
	for i, c := range sel.list {
		if sel.left != nil && sel.left[i] {
			continue
		}
		for _, l := range c.Rule.Enrich {
			if !containsString(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Evaluate runs the selected rules over one parsed input. A rule that errors is returned as a
// *RuleError and the others still run. The rules of one pack in a Selection from Select are
// evaluated together, one query under one deadline (see batch.go), falling back to one query
// per rule, each with its own deadline, when that fails; a pack some of whose rules were left
// out (Without), and the rules of a OneByOne selection, are evaluated one by one. With
// Options.PackDeadline, the rules of each pack but the trusted team's share that deadline.
func (e *Engine) Evaluate(ctx context.Context, sel Selection, input ast.Value) ([]Finding, []error) {
	if e.reference != nil && !hasFacts(input) && sel.readsFacts() {
		return e.evaluateReference(ctx, sel, input)
	}
	if sel.s == nil {
		return e.evalOneByOne(ctx, sel.Rules(), input, nil, nil)
	}
	var findings []Finding
	var errs []error
	for _, b := range sel.s.prepared(e) {
		kept := b.end - b.start
		if sel.left != nil {
			for _, l := range sel.left[b.start:b.end] {
				if l {
					kept--
				}
			}
		}
		if kept == 0 {
			continue
		}
		bctx, cancel := ctx, context.CancelFunc(nil)
		team := b.rules[0].Rule.Team
		if e.packDeadline > 0 && team != e.trustedTeam {
			bctx, cancel = context.WithTimeout(ctx, e.packDeadline)
		}
		from := len(errs)
		if kept == len(b.rules) {
			findings, errs = e.evalBatch(bctx, b, input, findings, errs)
		} else {
			findings, errs = e.evalOneByOne(bctx, Selection{list: sel.list[b.start:b.end], left: sel.left[b.start:b.end]}.Rules(), input, findings, errs)
		}
		if cancel != nil {
			if bctx.Err() != nil && ctx.Err() == nil {
				for i := from; i < len(errs); i++ {
					errs[i] = fmt.Errorf("team %s's pack used up its %v per event: %w", team, e.packDeadline, errs[i])
				}
			}
			cancel()
		}
	}
	return findings, errs
}

// readsFacts reports whether some rule of sel reads the derived facts from input.facts
// directly (factrefs.go).
func (sel Selection) readsFacts() bool {
	for _, c := range sel.Rules() {
		if c.factRefs {
			return true
		}
	}
	return false
}
