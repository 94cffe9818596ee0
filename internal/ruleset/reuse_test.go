package ruleset

import (
	"context"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/team"
)

// TestBuildReusesCompiledPacks checks that a reload (Previous) and Options.Reuse take the
// built-in pack's compilation from the engine that has it instead of compiling it again.
func TestBuildReusesCompiledPacks(t *testing.T) {
	ctx := context.Background()
	b, lib := builtin(t)
	first, err := Build(ctx, b, nil, Options{Lib: lib})
	if err != nil {
		t.Fatal(err)
	}
	builtinRule := func(s *Set) any {
		sel := s.Engine.Select("iam.amazonaws.com", "UpdateAccessKey").Rules()
		if len(sel) == 0 {
			t.Fatal("no built-in rule for UpdateAccessKey")
		}
		return sel[0]
	}
	reload, err := Build(ctx, b, Load([]team.Source{ledger(ledgerRule)}, time.Now()), Options{Lib: lib, Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	if len(reload.Teams) != 1 || len(reload.Broken) != 0 {
		t.Fatalf("teams %v broken %v", reload.TeamNames(), reload.Broken)
	}
	if builtinRule(reload) != builtinRule(first) {
		t.Error("a reload compiled the built-in pack again")
	}
	withTeams, err := Build(ctx, b, Load([]team.Source{ledger(ledgerRule)}, time.Now()), Options{Lib: lib, Reuse: first.Engine})
	if err != nil {
		t.Fatal(err)
	}
	if builtinRule(withTeams) != builtinRule(first) {
		t.Error("Options.Reuse: the built-in pack was compiled again")
	}
	if got := ids(withTeams)["LEDGER-001"]; got != "ledger" {
		t.Errorf("LEDGER-001 team = %q, want ledger", got)
	}
	fresh, err := Build(ctx, b, nil, Options{Lib: lib})
	if err != nil {
		t.Fatal(err)
	}
	if builtinRule(fresh) == builtinRule(first) {
		t.Error("a Build without Previous or Reuse shares a compilation")
	}
}
