package ruleset

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/alert/schema"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/testutil"
	"github.com/trailhound/trailhound/rules"
)

func builtin(t *testing.T) (*rule.Pack, map[string]*ast.Module) {
	t.Helper()
	p, err := rule.Load("builtin", BuiltinTeam, "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	lib := p.Lib()
	return p, lib
}

const ledgerFile = "owner: ledger@example.com\nroutes:\n  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/111122223333/ledger\n"

const ledgerRule = `# METADATA
# title: Ledger user deleted
# custom:
#   id: LEDGER-001
#   severity: MEDIUM
#   events: [iam.amazonaws.com:DeleteUser]
#   remediation:
#     summary: Ask the ledger team.
package teams.ledger.user_deleted

alert contains {"msg": "deleted"} if input.requestParameters.userName == "ledger-svc"
`

func ledger(rego string) team.Source {
	return team.Source{Team: "ledger", Origin: "teams/ledger", TeamFile: []byte(ledgerFile), TeamFileName: "teams/ledger/team.yaml",
		FS: fstest.MapFS{"user_deleted.rego": {Data: []byte(rego)}}}
}

// broken compiles no more: it calls a function nobody defines.
var broken = strings.Replace(ledgerRule, `input.requestParameters.userName == "ledger-svc"`, `undefined_helper(input.requestParameters.userName)`, 1)

func payments(t *testing.T) team.Source {
	t.Helper()
	src, err := team.DirSource(filepath.Join(testutil.ModuleRoot(t), "teams", "payments"))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func ids(s *Set) map[string]string {
	out := map[string]string{}
	for _, r := range s.Engine.Rules() {
		out[r.ID] = r.Team
	}
	return out
}

func TestBrokenPackIsIsolatedAndReported(t *testing.T) {
	ctx := context.Background()
	b, lib := builtin(t)
	s, err := Build(ctx, b, Load([]team.Source{payments(t), ledger(broken)}, time.Now()), Options{Lib: lib})
	if err != nil {
		t.Fatal(err)
	}
	got := ids(s)
	if got["PAYMENTS-001"] != "payments" || got["TH-IAM-001"] != BuiltinTeam || got["LEDGER-001"] != "" {
		t.Fatalf("rules %v", got)
	}
	if len(s.Broken) != 1 || s.Broken[0].Team != "ledger" || s.Broken[0].Kept != "" || !strings.Contains(s.Broken[0].Error(), "undefined function undefined_helper") {
		t.Fatalf("broken %+v", s.Broken)
	}
	errs := s.Unavailable("iam.amazonaws.com", "DeleteUser")
	var nl *NotLoadedError
	if len(errs) != 1 || !errors.As(errs[0], &nl) || !strings.Contains(errs[0].Error(), "team ledger: rule pack teams/ledger is not loaded") {
		t.Fatalf("unavailable %v", errs)
	}
	if s.Unavailable("iam.amazonaws.com", "CreateAccessKey") != nil {
		t.Fatal("an event the broken pack does not declare is unavailable")
	}
	if d := s.Describe(); !strings.Contains(d, "teams: payments") || !strings.Contains(d, "broken: ledger") {
		t.Fatalf("describe %q", d)
	}

	// A team pack that does not even load (bad team file) is broken too; its rules' declared
	// events are still read, so the events the team misses count as rule errors.
	bad := ledger(ledgerRule)
	bad.TeamFile = []byte("owner: x\nrouting: {}\n")
	s, err = Build(ctx, b, Load([]team.Source{bad}, time.Now()), Options{Lib: lib})
	if err != nil || len(s.Broken) != 1 || len(s.Broken[0].Events) != 1 || !strings.Contains(s.Broken[0].Error(), "teams/ledger/team.yaml:2") {
		t.Fatalf("invalid team file: %v %+v", err, s.Broken)
	}
	if errs := s.Unavailable("iam.amazonaws.com", "DeleteUser"); len(errs) != 1 {
		t.Fatalf("invalid team file: unavailable %v", errs)
	}
	// Without a team file at all, the same.
	bad.TeamFile = nil
	s, err = Build(ctx, b, Load([]team.Source{bad}, time.Now()), Options{Lib: lib})
	if err != nil || len(s.Broken) != 1 || len(s.Broken[0].Events) != 1 || !strings.Contains(s.Broken[0].Error(), "team.yaml: missing") {
		t.Fatalf("missing team file: %v %+v", err, s.Broken)
	}
}

func TestBrokenPackKeepsPreviousVersion(t *testing.T) {
	ctx := context.Background()
	b, lib := builtin(t)
	prev, err := Build(ctx, b, Load([]team.Source{ledger(ledgerRule)}, time.Now()), Options{Lib: lib, Revision: "r1"})
	if err != nil || len(prev.Broken) != 0 {
		t.Fatal(err, prev.Broken)
	}
	next, err := Build(ctx, b, Load([]team.Source{ledger(broken), payments(t)}, time.Now()), Options{Lib: lib, Previous: prev, Revision: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(next); got["LEDGER-001"] != "ledger" || got["PAYMENTS-001"] != "payments" {
		t.Fatalf("rules %v", got)
	}
	if next.Teams["ledger"] != prev.Teams["ledger"] || len(next.Broken) != 1 || next.Broken[0].Kept != "teams/ledger (r1)" {
		t.Fatalf("broken %+v", next.Broken)
	}
	if next.Unavailable("iam.amazonaws.com", "DeleteUser") != nil {
		t.Fatal("the previous pack still evaluates the event; it is not unavailable")
	}
}

func TestDuplicateTeam(t *testing.T) {
	b, lib := builtin(t)
	other := ledger(ledgerRule)
	other.Origin = "s3://b/k#teams/ledger"
	s, err := Build(context.Background(), b, Load([]team.Source{ledger(ledgerRule), other}, time.Now()), Options{Lib: lib})
	if err != nil || len(s.Broken) != 1 || s.Teams["ledger"].Origin != "teams/ledger" || !strings.Contains(s.Broken[0].Error(), "already has a pack, from teams/ledger") {
		t.Fatalf("%v %+v", err, s.Broken)
	}
}

func TestHealthAlert(t *testing.T) {
	b, lib := builtin(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s, err := Build(context.Background(), b, Load([]team.Source{ledger(broken)}, now), Options{Lib: lib, Revision: "etag \"abc\"", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	as := s.HealthAlerts()
	if len(as) != 1 {
		t.Fatalf("%d health alerts", len(as))
	}
	a := as[0]
	line, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(line); err != nil {
		t.Fatalf("health alert fails the Alert v1 schema: %v\n%s", err, line)
	}
	if a.Rule.ID != HealthRuleID || a.Rule.Team != "ledger" || !strings.Contains(a.Summary, "teams/ledger") || !strings.Contains(a.Context["error"].(string), "undefined_helper") {
		t.Fatalf("health alert %s", line)
	}
	if again := s.HealthAlerts()[0]; again.ID != a.ID {
		t.Fatal("health alert id is not deterministic")
	}
	s.Revision = "etag \"def\""
	if s.HealthAlerts()[0].ID == a.ID {
		t.Fatal("another revision's broken pack has the same health alert id")
	}
}

func TestApplyTeamPolicy(t *testing.T) {
	b, lib := builtin(t)
	src := payments(t)
	src.TeamFile = []byte(strings.Replace(string(src.TeamFile), "suppressions: []", `suppressions:
  - id: PAYMENTS-S-001
    match: {actor_arn: "arn:aws:iam::111122223333:user/rotation-*"}
    owner: alice@example.com
    reason: rotation job
    expires: 2099-12-31`, 1))
	s, err := Build(context.Background(), b, Load([]team.Source{src}, time.Now()), Options{Lib: lib})
	if err != nil || len(s.Broken) > 0 {
		t.Fatal(err, s.Broken)
	}
	mk := func(team, actor string) *alert.Alert {
		return &alert.Alert{ID: "a1", Severity: "HIGH", Rule: alert.Rule{ID: "PAYMENTS-001", Team: team}, Actor: alert.Actor{ARN: actor}, Context: map[string]any{}}
	}
	sup, ok := s.Apply(mk("payments", "arn:aws:iam::111122223333:user/rotation-bot"))
	if !ok || sup.ID != "PAYMENTS-S-001" || sup.Owner != "alice@example.com" || sup.Team != "payments" || sup.Expires != "2099-12-31" || sup.AlertID != "a1" {
		t.Fatalf("suppression %+v %v", sup, ok)
	}
	if _, ok := s.Apply(mk(BuiltinTeam, "arn:aws:iam::111122223333:user/rotation-bot")); ok {
		t.Fatal("a team suppression silenced a built-in alert")
	}
	glass := mk("payments", "arn:aws:sts::111122223333:assumed-role/payments-break-glass/incident-42")
	glass.Actor.SessionIssuer = "arn:aws:iam::111122223333:role/payments-break-glass"
	if _, ok := s.Apply(glass); ok || glass.Severity != "CRITICAL" || glass.Context["break_glass"] == nil {
		t.Fatalf("break-glass alert: %+v", glass)
	}
}
