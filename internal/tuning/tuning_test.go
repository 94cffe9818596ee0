package tuning

import (
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

var known = map[string]rule.Severity{"TH-IAM-002": rule.Medium, "TH-IAM-003": rule.High, "TH-IAM-104": rule.High, "TH-IAM-201": rule.Low}

const good = `owner: secops@example.com
exceptions:
  - id: TUNE-001
    rules: [TH-IAM-002, TH-IAM-003]
    match:
      actor_arn: "arn:aws:iam::*:role/key-rotator-*"
      target_user: "svc-*"
      account: ["111122223333"]
      source_ip: 10.0.0.0/8
      user_agent: "aws-sdk-go-v2/*"
      invoked_by: cloudformation.amazonaws.com
    set_severity: LOW
    owner: alice@example.com
    reason: sanctioned nightly rotation (CHG-1234)
    expires: 2027-06-30
  - id: TUNE-002
    rules: [TEAMX-001]
    match: {account: "444455556666"}
    suppress: true
    owner: bob@example.com
    reason: sandbox account
    expires: 2027-01-31
staged: [TH-IAM-201]
disabled:
  - {id: TH-IAM-104, owner: carol@example.com, reason: replaced by TEAMX-002}
`

func TestLoadGood(t *testing.T) {
	p, err := Load("tuning.yaml", []byte(good), now, known)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.File.Exceptions[1].Match.Account; len(got) != 1 || got[0] != "444455556666" {
		t.Errorf("scalar account = %v", got)
	}
	if p.Disabled("TH-IAM-104") == nil || p.Disabled("TH-IAM-003") != nil {
		t.Error("disabled set wrong")
	}
	if !p.Staged("TH-IAM-201") || p.Staged("TH-IAM-003") {
		t.Error("staged set wrong")
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	_, err := Load("org/tuning.yaml", []byte("owner: x\nexceptions:\n  - id: TUNE-001\n    rule: [TH-IAM-002]\n"), now, known)
	if err == nil || !strings.Contains(err.Error(), "org/tuning.yaml:4: field rule is not a key of Exception") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load("t.yaml", nil, now, known); err == nil || !strings.Contains(err.Error(), "empty tuning file") {
		t.Fatalf("empty: err = %v", err)
	}
}

func TestValidateRefuses(t *testing.T) {
	exc := func(body string) string {
		return "owner: secops\nexceptions:\n  - id: TUNE-001\n" + body
	}
	base := "    owner: a\n    reason: r\n    expires: 2027-01-01\n"
	cases := map[string]struct{ file, want string }{
		"expired":             {exc("    rules: [TH-IAM-003]\n    match: {account: \"111122223333\"}\n    suppress: true\n    owner: a\n    reason: r\n    expires: 2026-12-06\n"), "t.yaml:3: exception TUNE-001: expired on 2026-12-06"},
		"no rules":            {exc("    match: {account: \"111122223333\"}\n    suppress: true\n" + base), "rules is required"},
		"empty match":         {exc("    rules: [TH-IAM-003]\n    match: {}\n    suppress: true\n" + base), "set at least one of"},
		"both actions":        {exc("    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n    suppress: true\n    set_severity: LOW\n" + base), "not both"},
		"no action":           {exc("    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n" + base), "set_severity (to lower the alerts) or suppress"},
		"raises":              {exc("    rules: [TH-IAM-002]\n    match: {target_user: svc-*}\n    set_severity: HIGH\n" + base), "set_severity HIGH is above TH-IAM-002's severity MEDIUM"},
		"critical":            {exc("    rules: [TEAMX-001]\n    match: {target_user: svc-*}\n    set_severity: CRITICAL\n" + base), "lowers nothing"},
		"unknown builtin":     {exc("    rules: [TH-IAM-999]\n    match: {target_user: svc-*}\n    suppress: true\n" + base), "t.yaml:4: exception TUNE-001: rules \"TH-IAM-999\": no built-in rule"},
		"wildcard actor":      {exc("    rules: [TH-IAM-003]\n    match: {actor_arn: \"*\"}\n    suppress: true\n" + base), "matches everything"},
		"bad account":         {exc("    rules: [TH-IAM-003]\n    match: {account: [\"1234\"]}\n    suppress: true\n" + base), "want a 12-digit account id"},
		"bad cidr":            {exc("    rules: [TH-IAM-003]\n    match: {source_ip: 10.0.0.0/99}\n    suppress: true\n" + base), "want an IP address or CIDR"},
		"bad invoked_by":      {exc("    rules: [TH-IAM-003]\n    match: {invoked_by: \"*.amazonaws.com\"}\n    suppress: true\n" + base), "want a service principal"},
		"no owner":            {exc("    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n    suppress: true\n    reason: r\n    expires: 2027-01-01\n"), "owner is required"},
		"no expiry":           {exc("    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n    suppress: true\n    owner: a\n    reason: r\n"), "expires is required"},
		"dup id":              {exc("    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n    suppress: true\n" + base + "  - id: TUNE-001\n    rules: [TH-IAM-003]\n    match: {target_user: svc-*}\n    suppress: true\n" + base), "id is used twice"},
		"disabled no reason":  {"owner: s\ndisabled:\n  - {id: TH-IAM-003, owner: a}\n", "t.yaml:3: disabled \"TH-IAM-003\": owner and reason are required"},
		"staged and disabled": {"owner: s\nstaged: [TH-IAM-003]\ndisabled:\n  - {id: TH-IAM-003, owner: a, reason: r}\n", "staged \"TH-IAM-003\" is also disabled"},
		"no owner file":       {"staged: [TH-IAM-003]\n", "owner is required"},
		"bad staging route":   {"owner: s\nstaging_routes: {sqs_queue_url: nope}\n", "t.yaml:2: staging_routes.sqs_queue_url \"nope\""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load("t.yaml", []byte(c.file), now, known)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	p, err := Load("t.yaml", []byte(`owner: s
exceptions:
  - id: TUNE-001
    rules: [TH-IAM-002, TH-IAM-003]
    match: {actor_arn: "arn:aws:iam::*:role/key-rotator-*", target_user: "svc-*"}
    set_severity: LOW
    owner: a
    reason: rotation
    expires: 2027-06-30
  - id: TUNE-002
    rules: [TH-IAM-003]
    match: {source_ip: 10.0.0.0/8, account: ["111122223333", "444455556666"], user_agent: "Boto3/*", invoked_by: cloudformation.amazonaws.com}
    suppress: true
    owner: b
    reason: stack deployments
    expires: 2027-06-30
staged: [TH-IAM-104]
`), now, known)
	if err != nil {
		t.Fatal(err)
	}
	rotator := Facts{RuleID: "TH-IAM-003", ActorARN: "arn:aws:sts::111122223333:assumed-role/key-rotator-prod/nightly", SessionIssuer: "arn:aws:iam::111122223333:role/key-rotator-prod", TargetUsers: []string{"svc-billing"}, Severity: rule.High}
	if d := p.Decide(rotator, now); d.Exception == nil || d.Exception.ID != "TUNE-001" || d.Action != Lowered || d.Severity != rule.Low {
		t.Errorf("rotator: %+v", d)
	}
	other := rotator
	other.ActorARN, other.SessionIssuer = "arn:aws:sts::111122223333:assumed-role/admin/alice", "arn:aws:iam::111122223333:role/admin"
	if d := p.Decide(other, now); d.Exception != nil || d.Severity != rule.High {
		t.Errorf("another role: %+v", d)
	}
	human := rotator
	human.TargetUsers = []string{"svc-etl", "alice"}
	if d := p.Decide(human, now); d.Exception != nil {
		t.Errorf("non-svc target: %+v", d)
	}
	noTarget := rotator
	noTarget.TargetUsers = nil
	if d := p.Decide(noTarget, now); d.Exception != nil {
		t.Errorf("no target: %+v", d)
	}
	wrongRule := rotator
	wrongRule.RuleID = "TH-IAM-104"
	if d := p.Decide(wrongRule, now); d.Exception != nil || !d.Staged {
		t.Errorf("other rule: %+v", d)
	}
	already := rotator
	already.Severity = rule.Informational
	if d := p.Decide(already, now); d.Exception != nil || d.Severity != rule.Informational {
		t.Errorf("never raises: %+v", d)
	}
	if d := p.Decide(rotator, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)); d.Exception != nil {
		t.Errorf("expired at run time: %+v", d)
	}
	stack := Facts{RuleID: "TH-IAM-003", ActorARN: "arn:aws:sts::444455556666:assumed-role/cfn/x", Account: "444455556666", SourceIP: "10.1.2.3", UserAgent: "Boto3/1.34", InvokedBy: "cloudformation.amazonaws.com", Severity: rule.High}
	if d := p.Decide(stack, now); d.Exception == nil || d.Exception.ID != "TUNE-002" || d.Action != Suppressed {
		t.Errorf("stack: %+v", d)
	}
	for name, mut := range map[string]func(*Facts){
		"outside cidr":   func(f *Facts) { f.SourceIP = "192.0.2.1" },
		"host name ip":   func(f *Facts) { f.SourceIP = "cloudformation.amazonaws.com" },
		"other account":  func(f *Facts) { f.Account = "999999999999" },
		"other agent":    func(f *Facts) { f.UserAgent = "aws-cli/2" },
		"not invoked by": func(f *Facts) { f.InvokedBy = "" },
	} {
		f := stack
		mut(&f)
		if d := p.Decide(f, now); d.Exception != nil {
			t.Errorf("%s: matched %+v", name, d)
		}
	}
	var nilPolicy *Policy
	if d := nilPolicy.Decide(rotator, now); d.Exception != nil || d.Severity != rule.High {
		t.Errorf("nil policy: %+v", d)
	}
}

func TestJSONFromBundleParses(t *testing.T) {
	// A bundle carries the file as JSON: the same parser reads it.
	_, err := Load("bundle#data.json:tuning", []byte(`{"owner":"s","exceptions":[{"id":"TUNE-1","rules":["TH-IAM-003"],"match":{"account":["111122223333"]},"suppress":true,"owner":"a","reason":"r","expires":"2027-01-01"}]}`), now, known)
	if err != nil {
		t.Fatal(err)
	}
}
