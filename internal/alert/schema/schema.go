// Package schema holds the JSON Schema of Alert v1 and validates alerts against it. It is a
// package of its own so the detector binary does not link (and initialise) a JSON Schema
// validator it only needs in tests and tools.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trailhound/trailhound/internal/alert"
)

// SchemaJSON is the JSON Schema of Alert v1 (schema/alert-v1.schema.json).
//
//go:embed alert-v1.schema.json
var SchemaJSON []byte

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("read alert schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("alert-v1.schema.json", doc); err != nil {
		return nil, fmt.Errorf("add alert schema: %w", err)
	}
	s, err := c.Compile("alert-v1.schema.json")
	if err != nil {
		return nil, fmt.Errorf("compile alert schema: %w", err)
	}
	return s, nil
})

// Validate checks one JSON-encoded alert against the Alert v1 schema.
func Validate(doc []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("alert is not JSON: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("alert does not match Alert v1 schema: %w", err)
	}
	return nil
}

// ValidateAlert encodes a and validates it.
func ValidateAlert(a *alert.Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode alert: %w", err)
	}
	return Validate(b)
}
