package engine

import (
	"context"
	"testing"
)

// TestReuse checks that Options.Reuse takes the packs the reused engine compiled, the same
// pack with the same lib, as they are, compiles the others, and that the new engine
// evaluates like a fresh one.
func TestReuse(t *testing.T) {
	builtin := loadPack(t, "builtin", map[string]string{
		"reactivated.rego": ruleSrc("Reactivated", "TH-T-001", "iam.amazonaws.com:UpdateAccessKey", "builtin.t.reactivated", `
alert contains {"msg": "reactivated"} if input.requestParameters.status == "Active"
`),
	})
	team := loadPack(t, "team", map[string]string{
		"mine.rego": ruleSrc("Mine", "TEAM-001", "iam.amazonaws.com:UpdateAccessKey", "teams.team.mine", `
alert contains {"msg": "mine"} if input.requestParameters.userName == "bob"
`),
	})
	lib := loadPack(t, "lib", map[string]string{"lib/cloudtrail.rego": libSrc})
	first, errs := newEngine(t, Options{Lib: lib.Lib()}, builtin)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	second, errs := newEngine(t, Options{Lib: lib.Lib(), Reuse: first}, builtin, team)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	sel2 := second.Select("iam.amazonaws.com", "UpdateAccessKey")
	c1 := first.Select("iam.amazonaws.com", "UpdateAccessKey").Rules()
	c2 := sel2.Rules()
	if len(c1) != 1 || len(c2) != 2 {
		t.Fatalf("selected %d and %d rules, want 1 and 2", len(c1), len(c2))
	}
	if c2[0] != c1[0] {
		t.Error("the built-in pack was compiled again, not reused")
	}
	if c2[1].compiler == c1[0].compiler {
		t.Error("the team pack shares the built-in pack's compiler")
	}
	if second.actor != first.actor {
		t.Error("the lib queries were prepared again, not reused")
	}
	in, err := ParseInput([]byte(`{"eventName":"UpdateAccessKey","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"requestParameters":{"userName":"bob","status":"Active"}}`))
	if err != nil {
		t.Fatal(err)
	}
	fs, errs := second.Evaluate(context.Background(), sel2, in)
	if len(errs) > 0 || len(fs) != 2 || fs[0].Msg != "reactivated" || fs[1].Msg != "mine" {
		t.Fatalf("findings %+v errs %v", fs, errs)
	}
	if actor, err := second.Actor(context.Background(), in); err != nil || actor["arn"] != "arn:aws:iam::1:user/a" {
		t.Fatalf("actor %v %v", actor, err)
	}

	// Another lib (other modules) is another compilation.
	lib2 := loadPack(t, "lib", map[string]string{"lib/cloudtrail.rego": libSrc})
	third, errs := newEngine(t, Options{Lib: lib2.Lib(), Reuse: second}, builtin)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c3 := third.Select("iam.amazonaws.com", "UpdateAccessKey").Rules(); len(c3) != 1 || c3[0] == c1[0] {
		t.Error("the built-in pack was reused with another lib")
	}
}
