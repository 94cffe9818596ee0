package team

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/testutil"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

const goodFile = `owner: payments-secops@example.com
routes:
  sqs_queue_url: https://sqs.us-east-1.amazonaws.com/111122223333/payments-alerts
parameters:
  service_users: [payments-card-api]
disabled: []
subscriptions:
  ids: [TH-IAM-001]
  min_severity: CRITICAL
suppressions:
  - id: PAYMENTS-S-001
    match:
      actor_arn: arn:aws:iam::111122223333:role/rotation-*
      source_ip: 10.20.0.0/16
    owner: alice@example.com
    reason: nightly rotation job
    expires: 2026-03-31
break_glass:
  - actor_arn: arn:aws:iam::111122223333:role/payments-break-glass
    owner: payments-secops@example.com
    reason: incidents only
`

const goodRule = `# METADATA
# title: Payments test rule
# custom:
#   id: PAYMENTS-001
#   severity: HIGH
#   events: [iam.amazonaws.com:CreateAccessKey]
#   remediation:
#     summary: Look at {{target.user_name}}.
package teams.payments.key_created

import data.lib.iam
import data.teams.payments.parameters

alert contains {"msg": "m"} if iam.target_user_name in parameters.service_users
`

func source(files map[string]string) Source {
	fsys := fstest.MapFS{}
	for k, v := range files {
		if k != FileName {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
	}
	return Source{Team: "payments", Origin: "teams/payments", TeamFile: []byte(files[FileName]), TeamFileName: "teams/payments/team.yaml", FS: fsys}
}

func TestParseRejectsUnknownKeysWithLine(t *testing.T) {
	_, _, err := Parse("teams/payments/team.yaml", []byte("owner: x\nroutes:\n  sqs_url: https://example\n"))
	if err == nil || !strings.Contains(err.Error(), "teams/payments/team.yaml:3:") || !strings.Contains(err.Error(), `field sqs_url is not a key of Routes`) {
		t.Fatalf("err = %v", err)
	}
	_, _, err = Parse("t.yaml", []byte("owner: x\nsuppressions: {id: 1}\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:2:") {
		t.Fatalf("wrong type: err = %v", err)
	}
	if _, _, err := Parse("t.yaml", nil); err == nil {
		t.Fatal("empty team file accepted")
	}
}

func TestValidate(t *testing.T) {
	f, lines, err := Parse("team.yaml", []byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate("payments", "team.yaml", f, lines, now); err != nil {
		t.Fatalf("good file: %v", err)
	}
	if f.Suppressions[0].Expires.String() != "2026-03-31" || f.Parameters["service_users"].([]any)[0] != "payments-card-api" {
		t.Fatalf("decoded %+v", f)
	}
	cases := []struct{ name, from, to, want string }{
		{"expired suppression", "expires: 2026-03-31", "expires: 2026-03-09", "team.yaml:11: suppression PAYMENTS-S-001: expired on 2026-03-09 (owner alice@example.com)"},
		{"no expiry", "    expires: 2026-03-31\n", "", "suppression PAYMENTS-S-001: expires is required"},
		{"bad date", "expires: 2026-03-31", "expires: next week", "want YYYY-MM-DD"},
		{"no owner", "owner: payments-secops@example.com\nroutes", "routes", "owner is required"},
		{"suppression without owner", "    owner: alice@example.com\n", "", "suppression PAYMENTS-S-001: owner is required"},
		{"suppression without reason", "    reason: nightly rotation job\n", "", "reason is required"},
		{"suppression id without prefix", "id: PAYMENTS-S-001", "id: OPS-S-001", "want an upper-case id starting PAYMENTS-"},
		{"match everything", "      actor_arn: arn:aws:iam::111122223333:role/rotation-*\n      source_ip: 10.20.0.0/16\n", "      actor_arn: \"*\"\n", "matches everything"},
		{"empty match", "      actor_arn: arn:aws:iam::111122223333:role/rotation-*\n      source_ip: 10.20.0.0/16\n", "      rule_ids: [PAYMENTS-001]\n", "set at least one of"},
		{"bad cidr", "10.20.0.0/16", "10.20.0.0/33", "want an IP address or CIDR"},
		{"bad account", "      source_ip: 10.20.0.0/16\n", "      account: \"1234\"\n", "12-digit"},
		{"suppress builtin", "      source_ip: 10.20.0.0/16\n", "      source_ip: 10.20.0.0/16\n      rule_ids: [TH-IAM-001]\n", "can only suppress its own rules"},
		{"disable builtin", "disabled: []", "disabled: [TH-IAM-001]", "can only disable its own rules"},
		{"bad queue", "https://sqs.us-east-1.amazonaws.com/111122223333/payments-alerts", "payments-alerts", "team.yaml:3: routes.sqs_queue_url"},
		{"bad severity", "min_severity: CRITICAL", "min_severity: URGENT", "subscriptions.min_severity"},
		{"break glass without reason", "    reason: incidents only\n", "", "owner and reason are required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(goodFile, c.from, c.to, 1)
			if src == goodFile {
				t.Fatalf("replacement %q did not apply", c.from)
			}
			f, lines, err := Parse("team.yaml", []byte(src))
			if err == nil {
				err = Validate("payments", "team.yaml", f, lines, now)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// The last day of a suppression still counts.
	f.Suppressions[0].Expires.Time = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	if err := Validate("payments", "team.yaml", f, lines, now); err != nil {
		t.Fatalf("suppression on its expiry day: %v", err)
	}
}

func TestNamesAndPrefixes(t *testing.T) {
	if IDPrefix("data_lake") != "DATA-LAKE-" || IDPrefix("payments") != "PAYMENTS-" {
		t.Fatal(IDPrefix("data_lake"))
	}
	for _, bad := range []string{"Payments", "pay-ments", "builtin", "lib", "th", "1x", ""} {
		if CheckName(bad) == nil {
			t.Errorf("team name %q accepted", bad)
		}
	}
}

func TestLoad(t *testing.T) {
	p, err := Load(source(map[string]string{FileName: goodFile, "key_created.rego": goodRule, "key_created_test.rego": "package teams.payments.key_created_test\n"}), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules.Rules) != 1 || p.Rules.Rules[0].Team != "payments" || p.Rules.Rules[0].ID != "PAYMENTS-001" {
		t.Fatalf("rules %+v", p.Rules.Rules)
	}
	params := p.Rules.Modules["teams/payments/team.yaml"]
	if params == nil || params.Package.Path.String() != "data.teams.payments" || !strings.Contains(params.String(), "payments-card-api") {
		t.Fatalf("parameters module %v", params)
	}
	disabled := strings.Replace(goodFile, "disabled: []", "disabled: [PAYMENTS-001]", 1)
	if p, err := Load(source(map[string]string{FileName: disabled, "key_created.rego": goodRule}), now); err != nil || len(p.Rules.Rules) != 0 {
		t.Fatalf("disabled rule still loaded (%v)", err)
	}

	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"id without team prefix": {map[string]string{FileName: goodFile, "r.rego": strings.Replace(goodRule, "PAYMENTS-001", "PAY-001", 1)}, "teams/payments/r.rego: rule id PAY-001: team payments's rule ids start PAYMENTS-"},
		"other namespace":        {map[string]string{FileName: goodFile, "r.rego": strings.Replace(goodRule, "package teams.payments.key_created", "package builtin.iam.mine", 1)}, "package data.builtin.iam.mine"},
		"builtin data":           {map[string]string{FileName: goodFile, "r.rego": strings.Replace(goodRule, "import data.lib.iam", "import data.builtin.iam.access_key_reactivated as other", 1)}, "r.rego:11: data.builtin.iam.access_key_reactivated: data.builtin is off limits"},
		"other team's data":      {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := data.teams.ledger.parameters\n"}, "another team's data is off limits"},
		"whole data":             {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := data\n"}, "the whole data document is off limits"},
		"computed data path":     {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := data[input.k]\n"}, "a computed data path is off limits"},
		"network builtin":        {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := http.send({\"method\": \"GET\", \"url\": \"https://example.com\"})\n"}, "builtin http.send is not available to rules (network access)"},
		"wall clock":             {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx if time.now_ns() > 0\n"}, "builtin time.now_ns is not available to rules (wall-clock time)"},
		"jwt reads the clock":    {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := io.jwt.decode_verify(input.userAgent, {\"secret\": \"s\"})\n"}, "r.rego:16: builtin io.jwt.decode_verify is not available to rules (wall-clock time)"},
		"randomness":             {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := rand.intn(\"k\", 10)\n"}, "builtin rand.intn is not available to rules (randomness)"},
		"cidr is net.*":          {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx if net.cidr_contains(\"10.0.0.0/8\", input.sourceIPAddress)\n"}, "builtin net.cidr_contains is not available to rules (network access)"},
		"trace":                  {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx if trace(\"t\")\n"}, "builtin trace is not available to rules (not on the allow-list of builtins in teams/README.md)"},
		"schema match unlisted":  {map[string]string{FileName: goodFile, "r.rego": goodRule + "\nx := json.match_schema({}, {})\n"}, "builtin json.match_schema is not available to rules (not on the allow-list"},
		"disabled unknown id":    {map[string]string{FileName: strings.Replace(goodFile, "disabled: []", "disabled: [PAYMENTS-009]", 1), "r.rego": goodRule}, "team.yaml:6: disabled PAYMENTS-009: no rule of the pack has this id"},
		"bad metadata":           {map[string]string{FileName: goodFile, "r.rego": strings.Replace(goodRule, "severity: HIGH", "severity: URGENT", 1)}, "teams/payments/r.rego"},
		"expired suppression":    {map[string]string{FileName: strings.Replace(goodFile, "2026-03-31", "2026-01-31", 1), "r.rego": goodRule}, "teams/payments/team.yaml:11: suppression PAYMENTS-S-001: expired on 2026-01-31"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(source(c.files), now)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "team pack teams/payments") {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	f, _, err := Parse("team.yaml", []byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(f)
	if err != nil {
		t.Fatal(err)
	}
	rotation := Facts{RuleID: "PAYMENTS-001", ActorARN: "arn:aws:iam::111122223333:role/rotation-nightly", SourceIP: "10.20.3.4", Severity: rule.High}
	if d := p.Decide(rotation, now); d.Suppressed == nil || d.Suppressed.ID != "PAYMENTS-S-001" {
		t.Fatalf("rotation job not suppressed: %+v", d)
	}
	for name, f := range map[string]Facts{
		"outside the CIDR":       {ActorARN: rotation.ActorARN, SourceIP: "10.21.0.1"},
		"a host name, not an IP": {ActorARN: rotation.ActorARN, SourceIP: "iam.amazonaws.com"},
		"another role":           {ActorARN: "arn:aws:iam::111122223333:role/admin", SourceIP: "10.20.3.4"},
		"a prefix of the glob":   {ActorARN: "arn:aws:iam::111122223333:role/rotation", SourceIP: "10.20.3.4"},
		"glob in the middle":     {ActorARN: "arn:aws:iam::111122223333:role/x-rotation-1", SourceIP: "10.20.3.4"},
	} {
		if d := p.Decide(f, now); d.Suppressed != nil {
			t.Errorf("%s: suppressed", name)
		}
	}
	if d := p.Decide(rotation, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); d.Suppressed != nil {
		t.Error("suppression still applies after its expiry day")
	}
	glass := Facts{ActorARN: "arn:aws:sts::111122223333:assumed-role/payments-break-glass/incident-42", SessionIssuer: "arn:aws:iam::111122223333:role/payments-break-glass", SourceIP: "10.20.3.4", Severity: rule.Medium}
	if d := p.Decide(Facts{ActorARN: glass.ActorARN, Severity: rule.Medium}, now); d.BreakGlass != nil {
		t.Fatal("break-glass matched a session ARN against a role ARN pattern")
	}
	if d := p.Decide(glass, now); d.Suppressed != nil || d.BreakGlass == nil || d.Severity != rule.Critical {
		t.Fatalf("break-glass: %+v", d)
	}
	// Break-glass wins over a suppression that also matches.
	f.Suppressions[0].Match.ActorARN = "arn:aws:iam::111122223333:role/payments-*"
	p, _ = NewPolicy(f)
	if d := p.Decide(glass, now); d.Suppressed != nil || d.BreakGlass == nil {
		t.Fatalf("break-glass principal suppressed: %+v", d)
	}
	// Match fields: account, user agent glob, rule ids.
	f.Suppressions = []Suppression{{ID: "PAYMENTS-S-002", Match: Match{Account: "111122223333", UserAgent: "terraform/*", RuleIDs: []string{"PAYMENTS-002"}}, Expires: f.Suppressions[0].Expires}}
	p, _ = NewPolicy(f)
	tf := Facts{RuleID: "PAYMENTS-002", Account: "111122223333", UserAgent: "terraform/1.9.5 (+https://www.terraform.io)"}
	if p.Decide(tf, now).Suppressed == nil {
		t.Error("terraform user agent not suppressed")
	}
	for _, f := range []Facts{
		{RuleID: "PAYMENTS-001", Account: tf.Account, UserAgent: tf.UserAgent},
		{RuleID: tf.RuleID, Account: "444455556666", UserAgent: tf.UserAgent},
		{RuleID: tf.RuleID, Account: tf.Account, UserAgent: "aws-cli/2 terraform/1.9"},
	} {
		if p.Decide(f, now).Suppressed != nil {
			t.Errorf("suppressed %+v", f)
		}
	}
}

func TestDirs(t *testing.T) {
	root := testutil.ModuleRoot(t)
	one, err := Dirs([]string{filepath.Join(root, "teams", "payments")})
	if err != nil || len(one) != 1 || one[0].Team != "payments" {
		t.Fatalf("pack dir: %v %+v", err, one)
	}
	all, err := Dirs([]string{filepath.Join(root, "teams")})
	if err != nil || len(all) == 0 || all[0].Team != "payments" {
		t.Fatalf("dir of packs: %v %+v", err, all)
	}
	if _, err := Dirs([]string{filepath.Join(root, "teams"), filepath.Join(root, "teams", "payments")}); err == nil || !strings.Contains(err.Error(), "team payments is in both") {
		t.Fatalf("same team twice: %v", err)
	}
	empty := t.TempDir()
	if _, err := Dirs([]string{empty}); err == nil || !strings.Contains(err.Error(), "holds no team.yaml") {
		t.Fatalf("empty dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(empty, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Dirs([]string{filepath.Join(empty, "x")}); err == nil {
		t.Fatal("a file accepted as a rules directory")
	}
}

// TestExamplePackLoads keeps the repository's example team pack valid.
func TestExamplePackLoads(t *testing.T) {
	srcs, err := Dirs([]string{filepath.Join(testutil.ModuleRoot(t), "teams")})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		p, err := Load(src, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", src.Origin, err)
		}
		if len(p.Rules.Rules) == 0 {
			t.Errorf("%s: no rules", src.Origin)
		}
	}
}
