package rules

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestRulesReadFactsThroughLib checks that only rules/lib reads input.facts: rules use the
// lib's facts, which read input.facts when the detector set it and compute them otherwise
// (README.md, "input.facts").
func TestRulesReadFactsThroughLib(t *testing.T) {
	facts := ast.MustParseRef("input.facts")
	for _, p := range regoFiles(t) {
		if strings.HasPrefix(p, "lib/") || strings.HasSuffix(p, "_test.rego") {
			continue
		}
		src, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if r.HasPrefix(facts) {
				t.Errorf("%s reads %v: read the fact through data.lib instead", p, r)
			}
			return false
		})
	}
}
