package engine

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/facts"
)

// Input turns a CloudTrail record's JSON into the rules' input: the record (ParseInput) with
// input.facts, the derived facts computed once in Go (internal/facts). A facts key the record
// itself carries is never passed on: the rules would take it for the detector's. When
// facts.Compute declines the record, input.facts is absent and the lib computes every fact
// in Rego (its reference).
func Input(raw []byte) (ast.Value, error) {
	v, err := ParseInput(raw)
	if err != nil {
		return nil, err
	}
	return WithFacts(v), nil
}

// WithFacts returns the parsed record with input.facts set (see Input). It sets the key in
// place: the record's object is the caller's own, fresh from ParseInput.
func WithFacts(record ast.Value) ast.Value {
	obj, ok := record.(ast.Object)
	if !ok {
		return record
	}
	if f, ok := facts.Compute(obj); ok {
		obj.Insert(facts.KeyTerm, ast.NewTerm(f))
		return obj
	}
	if obj.Get(facts.KeyTerm) == nil {
		return obj
	}
	out := ast.NewObject()
	obj.Foreach(func(k, v *ast.Term) {
		if !k.Equal(facts.KeyTerm) {
			out.Insert(k, v)
		}
	})
	return out
}
