package facts_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/trailhound/trailhound/internal/facts"
	"github.com/trailhound/trailhound/internal/testutil"
)

// The JSON Schema of input.facts is rules/facts.schema.json, beside the rules that read it.
var (
	schemaOnce sync.Once
	schemaDoc  any
	schema     *jsonschema.Schema
	schemaErr  error
)

func factsSchema(t testing.TB) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	schemaOnce.Do(func() {
		var b []byte
		if b, schemaErr = os.ReadFile(filepath.Join(testutil.ModuleRoot(t), "rules", "facts.schema.json")); schemaErr != nil {
			return
		}
		if schemaDoc, schemaErr = jsonschema.UnmarshalJSON(bytes.NewReader(b)); schemaErr != nil {
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if schemaErr = c.AddResource("facts.schema.json", schemaDoc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile("facts.schema.json")
	})
	if schemaErr != nil {
		t.Fatalf("rules/facts.schema.json: %v", schemaErr)
	}
	return schema, schemaDoc.(map[string]any)
}

// validate checks one Compute result against the schema.
func validate(t testing.TB, name string, f ast.Value) {
	t.Helper()
	s, _ := factsSchema(t)
	doc, err := ast.JSON(f)
	if err != nil {
		t.Fatalf("%s: facts as JSON: %v", name, err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s: facts do not match rules/facts.schema.json: %v", name, err)
	}
}

// TestSchemaNamesTheFacts checks that the schema describes exactly the facts Compute writes.
func TestSchemaNamesTheFacts(t *testing.T) {
	_, doc := factsSchema(t)
	props := doc["properties"].(map[string]any)
	for pkg, names := range facts.Names() {
		p, ok := props[pkg].(map[string]any)
		if !ok {
			t.Errorf("schema lacks %s", pkg)
			continue
		}
		var got []string
		for k := range p["properties"].(map[string]any) {
			got = append(got, k)
		}
		sort.Strings(got)
		want := slices.Clone(names)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("schema %s names %v, Compute writes %v", pkg, got, want)
		}
	}
}
