package pipeline

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
)

const floodRule = `# METADATA
# title: One finding per number
# custom:
#   id: TH-P-090
#   severity: LOW
#   events: [iam.amazonaws.com:UpdateAccessKey]
#   remediation:
#     summary: None.
package builtin.p.flood

alert contains {"msg": sprintf("finding %d", [i])} if {
	some i in numbers.range(1, 5000)
}
`

// TestFindingsPerRuleAreCapped: a rule raising 5,000 findings for one event delivers the
// first engine.MaxFindings as alerts, says so in each of them, counts the rest and reports it.
func TestFindingsPerRuleAreCapped(t *testing.T) {
	pk, err := rule.Load("p", "builtin", "rules", fstest.MapFS{"flood.rego": {Data: []byte(floodRule)}, "lib/ct.rego": {Data: []byte(lib)}})
	if err != nil {
		t.Fatal(err)
	}
	eng, errs := engine.New(context.Background(), []*rule.Pack{pk}, engine.Options{Lib: pk.Modules})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	sink := &recordingSink{}
	var reported []error
	p := &Pipeline{Rules: rulesOf(eng), Sink: sink, OnError: func(err error) { reported = append(reported, err) }}
	res := p.Process(context.Background(), evt("UpdateAccessKey", "mallory", "bob", "e1", 0))
	if res.Outcome != Alerted || len(sink.alerts) != engine.MaxFindings {
		t.Fatalf("outcome %v, %d alerts; want alerted with %d", res.Outcome, len(sink.alerts), engine.MaxFindings)
	}
	ids := map[string]bool{}
	for _, a := range sink.alerts {
		ids[a.ID] = true
		notes, _ := a.Context["notes"].([]string)
		if !strings.Contains(strings.Join(notes, "\n"), "raised 5000 findings for this event; only the first 100 became alerts, 4900 were left out") {
			t.Fatalf("alert notes %v do not say findings were left out", notes)
		}
	}
	if len(ids) != engine.MaxFindings {
		t.Errorf("%d distinct alert ids for %d alerts", len(ids), engine.MaxFindings)
	}
	if n := p.Counts.FindingsCapped(); n != 4900 {
		t.Errorf("FindingsCapped = %d, want 4900", n)
	}
	if !strings.Contains(p.Counts.Summary(), "4900 findings over the cap of 100 per rule per event left out") {
		t.Errorf("summary %q does not name the cap", p.Counts.Summary())
	}
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "TH-P-090 raised 5000 findings") {
		t.Errorf("reported %v, want one report naming the rule", reported)
	}
}
