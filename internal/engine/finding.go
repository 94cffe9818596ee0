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
	// Excess is how many findings of the set were left out by the MaxFindings cap (0 when
	// the set is within it); every kept finding of the set carries the same count.
	Excess int
	// Actor is the event's caller (lib.cloudtrail.actor) when Evaluate resolved it with the
	// rule's pack (the pack the lib queries run on: jointly, or on its own after a fallback),
	// nil otherwise or when it failed (Engine.Actor resolves it then, or says why). Every finding
	// of an event that has it shares the same map: read it, do not modify it.
	Actor map[string]any
}

var findingKeys = map[string]bool{"msg": true, "target": true, "severity": true, "context": true}

// decodeFinding reads one finding from the value the rule's alert set holds. It reads the OPA
// value directly instead of converting the whole finding to Go values first; only the
// context, which the alert builder reads as a map, is converted.
func decodeFinding(r *rule.Rule, v ast.Value) (Finding, error) {
	f := Finding{Rule: r, Severity: r.Severity}
	obj, ok := v.(ast.Object)
	if !ok {
		return f, fmt.Errorf("got %s, want an object with msg", ast.ValueName(v))
	}
	var msg, target, severity, fctx ast.Value
	err := obj.Iter(func(k, v *ast.Term) error {
		name, ok := k.Value.(ast.String)
		if !ok || !findingKeys[string(name)] {
			return fmt.Errorf("unknown key %v (want msg, target, severity, context)", k)
		}
		switch name {
		case "msg":
			msg = v.Value
		case "target":
			target = v.Value
		case "severity":
			severity = v.Value
		case "context":
			fctx = v.Value
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	m, ok := msg.(ast.String)
	if !ok || m == "" {
		return f, errors.New("msg must be a non-empty string")
	}
	f.Msg = string(m)
	if target != nil {
		tm, ok := target.(ast.Object)
		if !ok {
			return f, fmt.Errorf("target is %s, want an object", ast.ValueName(target))
		}
		f.Target = make(map[string]string, tm.Len())
		err := tm.Iter(func(k, v *ast.Term) error {
			name, ok := k.Value.(ast.String)
			if !ok {
				return fmt.Errorf("target key %v is not a string", k)
			}
			s, err := scalarString(v.Value)
			if err != nil {
				return fmt.Errorf("target.%s: %w", name, err)
			}
			if s != "" {
				f.Target[string(name)] = s
			}
			return nil
		})
		if err != nil {
			return f, err
		}
	}
	if severity != nil {
		name, _ := severity.(ast.String)
		sev, err := rule.ParseSeverity(string(name))
		if err != nil {
			return f, fmt.Errorf("severity: %w", err)
		}
		f.Severity = sev
	}
	if fctx != nil {
		if _, ok := fctx.(ast.Object); !ok {
			return f, fmt.Errorf("context is %s, want an object", ast.ValueName(fctx))
		}
		cm, err := toJSON(fctx)
		if err != nil {
			return f, fmt.Errorf("context: %w", err)
		}
		f.Context = cm.(map[string]any)
	}
	return f, nil
}

// toJSON is ast.JSON: v as JSON-like Go values (map[string]any, []any, string, json.Number,
// bool, nil). Objects with string keys and arrays of such values, what findings' contexts and
// the lib's actor hold, are converted here (contextMap): ast.JSON converts each object key to
// an interface value first, one allocation per key. Anything else (a set, a key that is not a
// string) is left to ast.JSON.
func toJSON(v ast.Value) (any, error) {
	if m, ok := contextMap(v); ok {
		return m, nil
	}
	return ast.JSON(v)
}

// contextMap converts an object with string keys whose values are JSON values (strings,
// numbers, booleans, null, arrays and objects of them) as ast.JSON does, and reports false
// for any other value.
func contextMap(v ast.Value) (map[string]any, bool) {
	obj, ok := v.(ast.Object)
	if !ok {
		return nil, false
	}
	m := make(map[string]any, obj.Len())
	ok = !obj.Until(func(k, v *ast.Term) bool {
		name, isStr := k.Value.(ast.String)
		if !isStr {
			return true
		}
		x, ok := jsonValue(v.Value)
		if !ok {
			return true
		}
		m[string(name)] = x
		return false
	})
	return m, ok
}

// jsonValue is contextMap for any value.
func jsonValue(v ast.Value) (any, bool) {
	switch x := v.(type) {
	case ast.Null:
		return nil, true
	case ast.Boolean:
		return bool(x), true
	case ast.Number:
		return json.Number(x), true
	case ast.String:
		return string(x), true
	case *ast.Array:
		out := make([]any, x.Len())
		for i := range out {
			e, ok := jsonValue(x.Elem(i).Value)
			if !ok {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case ast.Object:
		return contextMap(x)
	}
	return nil, false
}

// scalarString is a target value as the alert carries it: strings as they are, numbers and
// booleans as JSON writes them, null as "" (left out).
func scalarString(v ast.Value) (string, error) {
	switch x := v.(type) {
	case ast.String:
		return string(x), nil
	case ast.Number:
		return string(x), nil
	case ast.Boolean:
		return x.String(), nil
	case ast.Null:
		return "", nil
	}
	return "", fmt.Errorf("got %s, want a string", ast.ValueName(v))
}

// WithEnrichment returns input with input.enrichment set.
func WithEnrichment(input ast.Value, enrichment ast.Value) ast.Value {
	obj := input.(ast.Object).Copy()
	obj.Insert(enrichmentTerm, ast.NewTerm(enrichment))
	return obj
}
