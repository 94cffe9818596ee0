package pipeline

import (
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/rule"
)

// This file is the first stage of a record: which rules evaluate it. The rule set selects
// by the record's event (and leaves team rules out of an oversized record); the tuning
// file's disabled rules are left out unless EvaluateDisabled keeps them to count what they
// would have raised; packs that are not loaded make the record a rule error.

// selection is what the select stage decided for one record.
type selection struct {
	rules    engine.Selection
	unloaded []error // packs not loaded that declared the record's event
	warning  error   // rules left out for the record's size
}

// selectRules selects the rules that evaluate rec.
func (p *Pipeline) selectRules(rec event.Record) selection {
	sel, oversize := p.Rules.Select(rec.EventSource, rec.EventName, len(rec.Raw))
	if oversize != nil {
		p.Counts.oversize.Add(1)
		oversize = fmt.Errorf("%s: %w", rec.Origin, oversize)
	}
	return selection{rules: p.enabled(sel), unloaded: p.Rules.Unavailable(rec.EventSource, rec.EventName), warning: oversize}
}

// Wants reports whether Evaluate would do more than count a record with this header as
// no_match: a rule selects its event, or a pack that is not loaded declared it. Replays ask
// before copying or parsing anything.
func (p *Pipeline) Wants(h *event.Header) bool { return p.WantsEvent(h.EventSource, h.EventName) }

// WantsEvent is Wants for a record of this event: selection reads nothing else of a record.
func (p *Pipeline) WantsEvent(eventSource, eventName string) bool {
	if sel, _ := p.Rules.Select(eventSource, eventName, 0); sel.Len() > 0 {
		return true
	}
	return len(p.Rules.Unavailable(eventSource, eventName)) > 0
}

// enabled leaves out disabled rules, unless EvaluateDisabled keeps them to count what they
// would have raised.
func (p *Pipeline) enabled(sel engine.Selection) engine.Selection {
	t := p.Rules.Tuner()
	if t == nil || p.EvaluateDisabled {
		return sel
	}
	return sel.Without(func(r *rule.Rule) bool { return t.Disabled(r.ID) })
}
