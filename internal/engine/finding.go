package engine

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// Finding is one element of a rule's alert set.
type Finding struct {
	Rule     *rule.Rule
	Msg      string
	Target   map[string]string
	Severity rule.Severity // effective: the finding's own, else the rule's
	Context  map[string]any
	Index    int // position in the rule's (sorted) alert set for this event
	Of       int // size of that set
	// Actor is the event's caller (lib.cloudtrail.actor) when it was resolved in the same
	// evaluation as the rule, nil otherwise (Engine.Actor resolves it then). Every finding
	// of an event that has it shares the same map: read it, do not modify it.
	Actor map[string]any
}

var findingKeys = map[string]bool{"msg": true, "target": true, "severity": true, "context": true}

func decodeFinding(r *rule.Rule, v any) (Finding, error) {
	f := Finding{Rule: r, Severity: r.Severity}
	obj, ok := v.(map[string]any)
	if !ok {
		return f, fmt.Errorf("got %T, want an object with msg", v)
	}
	for k := range obj {
		if !findingKeys[k] {
			return f, fmt.Errorf("unknown key %q (want msg, target, severity, context)", k)
		}
	}
	msg, ok := obj["msg"].(string)
	if !ok || msg == "" {
		return f, errors.New("msg must be a non-empty string")
	}
	f.Msg = msg
	if t, ok := obj["target"]; ok {
		tm, ok := t.(map[string]any)
		if !ok {
			return f, fmt.Errorf("target is %T, want an object", t)
		}
		f.Target = make(map[string]string, len(tm))
		for k, v := range tm {
			s, err := scalarString(v)
			if err != nil {
				return f, fmt.Errorf("target.%s: %w", k, err)
			}
			if s != "" {
				f.Target[k] = s
			}
		}
	}
	if s, ok := obj["severity"]; ok {
		name, _ := s.(string)
		sev, err := rule.ParseSeverity(name)
		if err != nil {
			return f, fmt.Errorf("severity: %w", err)
		}
		f.Severity = sev
	}
	if c, ok := obj["context"]; ok {
		cm, ok := c.(map[string]any)
		if !ok {
			return f, fmt.Errorf("context is %T, want an object", c)
		}
		f.Context = cm
	}
	return f, nil
}

func scalarString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("got %T, want a string", v)
}

// WithEnrichment returns input with input.enrichment set.
func WithEnrichment(input ast.Value, enrichment ast.Value) ast.Value {
	obj := input.(ast.Object).Copy()
	obj.Insert(ast.StringTerm("enrichment"), ast.NewTerm(enrichment))
	return obj
}
