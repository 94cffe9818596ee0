package ruleset

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/team"
)

// A Set is the rule set a pipeline runs.
var _ pipeline.RuleSet = (*Set)(nil)

// TestSelectInputLimit: a record over the input limit is evaluated by the built-in rules
// only, and Select says how many team rules it left out; within the limit, every rule of
// the event is selected, with the joint queries of its packs.
func TestSelectInputLimit(t *testing.T) {
	b, lib := builtin(t)
	onKeys := strings.Replace(ledgerRule, "iam.amazonaws.com:DeleteUser", "iam.amazonaws.com:UpdateAccessKey", 1)
	s, err := Build(context.Background(), b, Load([]team.Source{ledger(onKeys)}, time.Now()), Options{Lib: lib, InputLimit: 1024})
	if err != nil || len(s.Broken) > 0 {
		t.Fatal(err, s.Broken)
	}
	all := s.Engine.Select("iam.amazonaws.com", "UpdateAccessKey")
	teamRules := 0
	for _, c := range all.Rules() {
		if c.Rule.Team != BuiltinTeam {
			teamRules++
		}
	}
	if teamRules != 1 || all.Len() < 2 {
		t.Fatalf("UpdateAccessKey selects %d rules, %d of them team rules", all.Len(), teamRules)
	}
	sel, oversize := s.Select("iam.amazonaws.com", "UpdateAccessKey", 1024)
	if oversize != nil || sel.Len() != all.Len() {
		t.Fatalf("within the limit: %d of %d rules, %v", sel.Len(), all.Len(), oversize)
	}
	sel, oversize = s.Select("iam.amazonaws.com", "UpdateAccessKey", 1025)
	if oversize == nil || !strings.Contains(oversize.Error(), "record of 1025 bytes is over the 1024-byte limit for team rules: 1 team rule(s) not evaluated") {
		t.Fatalf("over the limit: %v", oversize)
	}
	for _, c := range sel.Rules() {
		if c.Rule.Team != BuiltinTeam {
			t.Fatalf("over the limit, team rule %s selected", c.Rule.ID)
		}
	}
	if sel.Len() != all.Len()-1 {
		t.Fatalf("over the limit: %d rules, want the %d built-in ones", sel.Len(), all.Len()-1)
	}
	// An event no team rule declares is not oversize, whatever the record's size.
	if _, oversize := s.Select("iam.amazonaws.com", "CreateAccessKey", 1<<20); oversize != nil {
		t.Fatalf("no team rule to leave out: %v", oversize)
	}
	if FromEngine(s.Engine).InputLimit != DefaultInputLimit {
		t.Fatal("FromEngine: not the default input limit")
	}
}
