package engine

import (
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestInputFacts: Input sets input.facts from the record, never passes on a facts key the
// record carries, and leaves facts out when internal/facts declines the record.
func TestInputFacts(t *testing.T) {
	facts := ast.StringTerm("facts")
	for _, tc := range []struct {
		name, record string
		want         bool // input.facts set
	}{
		{"plain", `{"eventTime":"2024-03-18T00:05:00Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}`, true},
		{"own facts key replaced", `{"eventTime":"2024-03-18T00:05:00Z","facts":{"version":1,"cloudtrail":{"is_root":true}},"userIdentity":{"type":"IAMUser"}}`, true},
		{"declined, own facts key dropped", `{"eventTime":"2024-02-30T00:05:00Z","facts":{"version":1,"cloudtrail":{"is_root":true}}}`, false},
		{"declined", `{"eventTime":"2024-02-30T00:05:00Z"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Input([]byte(tc.record))
			if err != nil {
				t.Fatal(err)
			}
			f := in.(ast.Object).Get(facts)
			if (f != nil) != tc.want {
				t.Fatalf("input.facts set: %v, want %v (%v)", f != nil, tc.want, in)
			}
			if f == nil {
				return
			}
			if v := f.Value.(ast.Object).Get(ast.StringTerm("version")); v == nil || v.Value.Compare(ast.InternedTerm(1).Value) != 0 {
				t.Fatalf("facts.version = %v", v)
			}
			root := f.Value.(ast.Object).Get(ast.StringTerm("cloudtrail")).Value.(ast.Object).Get(ast.StringTerm("is_root"))
			if root == nil || root.Value.Compare(ast.Boolean(false)) != 0 {
				t.Fatalf("is_root = %v: the record's own facts reached the rules", root)
			}
		})
	}
}

// TestInputDropsRecordEnrichment: a record that carries an enrichment key of its own (a
// forged or hand-made record) does not reach the rules with it: only the detector's
// enrichment lookups (WithEnrichment) set input.enrichment.
func TestInputDropsRecordEnrichment(t *testing.T) {
	for _, record := range []string{
		`{"eventTime":"2024-03-18T00:05:00Z","enrichment":{"target":{"exists":false}},"userIdentity":{"type":"IAMUser"}}`,
		`{"eventTime":"2024-02-30T00:05:00Z","enrichment":{"target":{"exists":false}}}`, // facts declined
	} {
		in, err := Input([]byte(record))
		if err != nil {
			t.Fatal(err)
		}
		if e := in.(ast.Object).Get(ast.StringTerm("enrichment")); e != nil {
			t.Errorf("%s: the record's own enrichment reached the input: %v", record, e)
		}
		if in.(ast.Object).Get(ast.StringTerm("eventTime")) == nil {
			t.Errorf("%s: the record's other keys were dropped: %v", record, in)
		}
	}
}
