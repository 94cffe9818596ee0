package verdict

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/rules"
)

const ruleSrc = `# METADATA
# title: Ops rule
# custom:
#   id: OPS-001
#   severity: LOW
#   events: [iam.amazonaws.com:DeleteUser]
#   remediation:
#     summary: Ask ops.
package teams.ops.user_deleted

alert contains {"msg": "deleted"} if {
	input.requestParameters.userName in data.teams.ops.parameters.watched
}

alert contains {"msg": "deleted by root"} if {
	input.userIdentity.type == "Root"
}
`

const testSrc = `package teams.ops.user_deleted_test

import data.teams.ops.user_deleted as rule

test_alert_watched_user if {
	count(rule.alert) == 1 with input as {"requestParameters": {"userName": "svc"}, "userIdentity": {"type": "IAMUser"}}
}
`

func options(t *testing.T) Options {
	t.Helper()
	b, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	lib := b.Lib()
	return Options{Builtin: b, Lib: lib, Tests: true, Now: time.Now()}
}

func source(files map[string]string) team.Source {
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return team.Source{Team: "ops", Origin: "teams/ops", TeamFileName: "teams/ops/team.yaml", FS: fsys,
		TeamFile: []byte("owner: ops@example.com\nparameters: {watched: [svc]}\nsubscriptions: {ids: [TH-IAM-001]}\n")}
}

func TestCoverageCountsUntestedBranches(t *testing.T) {
	rep := Check(context.Background(), source(map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": testSrc}), options(t))
	if len(rep.Problems) > 0 || len(rep.Tests) != 1 || !rep.Tests[0].Pass {
		t.Fatalf("report %+v", rep)
	}
	c := rep.Coverage
	if c == nil || len(c.Files) != 1 || c.Files[0].File != "teams/ops/user_deleted.rego" || c.Percent >= 100 || c.Percent <= 0 {
		t.Fatalf("coverage %+v", c)
	}
	if got := c.Files[0].NotCovered; len(got) != 2 || got[0] != 15 || got[1] != 16 {
		t.Fatalf("not covered %v, want the root branch (lines 15-16)", got)
	}
	if !rep.Failed(100) || rep.Failed(c.Percent) {
		t.Fatalf("threshold: %.1f%%", c.Percent)
	}
	// A second test covering the other branch brings it to 100%.
	full := testSrc + "\ntest_alert_root if {\n\tcount(rule.alert) == 1 with input as {\"requestParameters\": {\"userName\": \"x\"}, \"userIdentity\": {\"type\": \"Root\"}}\n}\n"
	rep = Check(context.Background(), source(map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": full}), options(t))
	if rep.Coverage == nil || rep.Coverage.Percent != 100 || rep.Failed(DefaultMinCoverage) {
		t.Fatalf("full coverage %+v %+v", rep.Coverage, rep.Problems)
	}
}

func TestVerdictFailures(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"failing test": {map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": strings.Replace(testSrc, "== 1", "== 2", 1)}, ""},
		"no tests":     {map[string]string{"user_deleted.rego": ruleSrc}, ""},
		"test reads built-in rules": {map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": testSrc + "\ntest_peek if data.builtin.iam.access_key_reactivated.alert\n"},
			"teams/ops/user_deleted_test.rego:9: data.builtin.iam.access_key_reactivated.alert: data.builtin is off limits"},
		"compile error": {map[string]string{"user_deleted.rego": strings.Replace(ruleSrc, `input.userIdentity.type == "Root"`, `is_root(input)`, 1), "user_deleted_test.rego": testSrc}, "undefined function is_root"},
		"rule uses the test helpers": {map[string]string{"user_deleted.rego": ruleSrc + "\nwatched_caller if data.lib.test.iam_user(\"svc\") == input.userIdentity\n", "user_deleted_test.rego": testSrc},
			"teams/ops/user_deleted.rego:19: data.lib.test.iam_user: data.lib.test holds the shared test helpers, which only tests (_test.rego files) may use"},
		"test stands in for the test helpers": {map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": testSrc, "helpers_test.rego": "package lib.test\n\none(findings) := true\n"},
			"package data.lib.test: team ops's packages are teams.ops.<name>"},
		"test package outside the team": {map[string]string{"user_deleted.rego": ruleSrc, "x_test.rego": "package ops_test\n\ntest_x if true\n"}, "package data.ops_test: team ops's packages are teams.ops.<name>"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep := Check(context.Background(), source(c.files), options(t))
			if !rep.Failed(0) {
				t.Fatalf("passed: %+v", rep)
			}
			if c.want == "" {
				return
			}
			var msgs []string
			for _, p := range rep.Problems {
				msgs = append(msgs, p.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), c.want) {
				t.Fatalf("problems %q, want %q", msgs, c.want)
			}
		})
	}
	src := source(map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": testSrc})
	src.TeamFile = []byte("owner: ops@example.com\nparameters: {watched: [svc]}\nsubscriptions: {ids: [TH-NOPE-001]}\n")
	rep := Check(context.Background(), src, options(t))
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Error(), "TH-NOPE-001 is not a built-in rule") {
		t.Fatalf("unknown subscription: %v", rep.Problems)
	}
}

// TestTeamTestsImportTheSharedHelpers: a team's tests import data.lib.test (record builders,
// patched, one) as the built-in tests do, and the verdict compiles it in for them only.
func TestTeamTestsImportTheSharedHelpers(t *testing.T) {
	helperTest := `package teams.ops.user_deleted_test

import data.lib.test
import data.teams.ops.user_deleted as rule

test_alert_root_deletes_a_user if {
	rec := test.iam_call("DeleteUser", test.root, {"userName": "x"})
	f := test.one(rule.alert) with input as rec
	test.equals(f.msg, "deleted by root")
}

test_alert_watched_user if {
	rec := test.iam_call("DeleteUser", test.iam_user("alice"), {"userName": "svc"})
	test.equals(count(rule.alert), 1) with input as rec
}
`
	rep := Check(context.Background(), source(map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": helperTest}), options(t))
	if len(rep.Problems) > 0 || len(rep.Tests) != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Tests {
		if !r.Pass || r.Package != "data.teams.ops.user_deleted_test" {
			t.Fatalf("test %+v", r)
		}
	}
	if rep.Coverage == nil || rep.Coverage.Percent != 100 || len(rep.Coverage.Files) != 1 {
		t.Fatalf("coverage %+v: only the team's rule file counts", rep.Coverage)
	}
	// Without the built-in pack there are no helpers: the tests do not compile.
	opts := options(t)
	opts.Builtin = nil
	rep = Check(context.Background(), source(map[string]string{"user_deleted.rego": ruleSrc, "user_deleted_test.rego": helperTest}), opts)
	if !rep.Failed(0) {
		t.Fatalf("passed without the helpers: %+v", rep)
	}
}
