package facts_test

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/facts"
)

// BenchmarkCompute measures the facts of one record (the fuzz target's bases in turn).
func BenchmarkCompute(b *testing.B) {
	var recs []ast.Value
	for _, s := range fuzzBases {
		v, err := engine.ParseInput([]byte(s))
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, v)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, ok := facts.Compute(recs[n%len(recs)]); !ok {
			b.Fatal("declined")
		}
		n++
	}
}
