package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailhound/trailhound/internal/rule"
)

const meta = `# METADATA
# title: %s
# custom:
#   id: %s
#   severity: MEDIUM
#   events: [%s]
#   remediation:
#     summary: Look at it.
package %s

`

func ruleSrc(title, id, events, pkg, body string) string {
	s := meta
	for _, v := range []string{title, id, events, pkg} {
		s = strings.Replace(s, "%s", v, 1)
	}
	return s + body
}

const libSrc = `package lib.cloudtrail

actor := {"type": input.userIdentity.type, "arn": input.userIdentity.arn}
`

func loadPack(t *testing.T, name string, files map[string]string) *rule.Pack {
	t.Helper()
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	p, err := rule.Load(name, name, name, m)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return p
}

func newEngine(t *testing.T, opts Options, packs ...*rule.Pack) (*Engine, []error) {
	t.Helper()
	return New(context.Background(), packs, opts)
}

func TestSelectAndEvaluate(t *testing.T) {
	p := loadPack(t, "p", map[string]string{
		"reactivated.rego": ruleSrc("Reactivated", "TH-T-001", "iam.amazonaws.com:UpdateAccessKey", "builtin.t.reactivated", `
alert contains {"msg": "reactivated", "target": {"user_name": input.requestParameters.userName}} if {
	input.requestParameters.status == "Active"
}
`),
		"deleted.rego": ruleSrc("Deleted", "TH-T-002", "iam.amazonaws.com:DeleteAccessKey", "builtin.t.deleted", `
alert contains {"msg": "deleted", "severity": "HIGH"} if true
`),
	})
	lib := loadPack(t, "lib", map[string]string{"lib/cloudtrail.rego": libSrc})
	e, errs := newEngine(t, Options{Lib: lib.Modules}, p)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := e.Select("iam.amazonaws.com", "ListUsers"); got.Len() != 0 {
		t.Fatalf("ListUsers selected %d rules", got.Len())
	}
	if got := e.Select("s3.amazonaws.com", "UpdateAccessKey"); got.Len() != 0 {
		t.Fatalf("wrong source selected %d rules", got.Len())
	}
	sel := e.Select("iam.amazonaws.com", "UpdateAccessKey")
	if sel.Len() != 1 || sel.Rules()[0].Rule.ID != "TH-T-001" {
		t.Fatalf("UpdateAccessKey selected %v", sel)
	}
	in, err := ParseInput([]byte(`{"eventName":"UpdateAccessKey","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"requestParameters":{"userName":"bob","status":"Active"}}`))
	if err != nil {
		t.Fatal(err)
	}
	fs, errs := e.Evaluate(context.Background(), sel, in)
	if len(errs) > 0 || len(fs) != 1 {
		t.Fatalf("findings %v errs %v", fs, errs)
	}
	if fs[0].Msg != "reactivated" || fs[0].Target["user_name"] != "bob" || fs[0].Severity != rule.Medium {
		t.Fatalf("finding %+v", fs[0])
	}
	actor, err := e.Actor(context.Background(), in)
	if err != nil || actor["arn"] != "arn:aws:iam::1:user/a" {
		t.Fatalf("actor %v %v", actor, err)
	}
	in2, _ := ParseInput([]byte(`{"requestParameters":{"userName":"bob","status":"Inactive"}}`))
	if fs, errs := e.Evaluate(context.Background(), sel, in2); len(fs) != 0 || len(errs) != 0 {
		t.Fatalf("Inactive: findings %v errs %v", fs, errs)
	}
	del := e.Select("iam.amazonaws.com", "DeleteAccessKey")
	fs, _ = e.Evaluate(context.Background(), del, in2)
	if len(fs) != 1 || fs[0].Severity != rule.High {
		t.Fatalf("severity override: %+v", fs)
	}
	if ev := e.Events(); len(ev["iam.amazonaws.com"]) != 2 {
		t.Fatalf("Events() = %v", ev)
	}
}

func TestRuleErrorsAreReportedByName(t *testing.T) {
	cases := map[string]string{
		"builtin error":    `alert contains {"msg": sprintf("%d", [to_number(input.x)])} if true`,
		"conflict":         "alert contains {\"msg\": \"m\"} if { x == 1 }\nx := 1 if true\nx := 2 if true",
		"bad finding":      `alert contains "not an object" if true`,
		"missing msg":      `alert contains {"target": {}} if true`,
		"bad severity":     `alert contains {"msg": "m", "severity": "URGENT"} if true`,
		"unknown key":      `alert contains {"msg": "m", "sevrity": "HIGH"} if true`,
		"non-string field": `alert contains {"msg": "m", "target": {"user_name": {"a": 1}}} if true`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadPack(t, "p", map[string]string{
				"bad.rego":  ruleSrc("Bad", "TH-T-010", "iam.amazonaws.com:DeleteUser", "builtin.t.bad", body),
				"good.rego": ruleSrc("Good", "TH-T-011", "iam.amazonaws.com:DeleteUser", "builtin.t.good", `alert contains {"msg": "fine"} if true`),
			})
			e, errs := newEngine(t, Options{}, p)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			in, _ := ParseInput([]byte(`{"x": "not a number"}`))
			fs, errs := e.Evaluate(context.Background(), e.Select("iam.amazonaws.com", "DeleteUser"), in)
			if len(errs) != 1 {
				t.Fatalf("errors %v, want exactly one", errs)
			}
			var re *RuleError
			if !errors.As(errs[0], &re) || re.Rule.ID != "TH-T-010" || !strings.Contains(errs[0].Error(), "TH-T-010") {
				t.Fatalf("error %v does not name the rule", errs[0])
			}
			if len(fs) != 1 || fs[0].Rule.ID != "TH-T-011" {
				t.Fatalf("the healthy rule's finding is missing: %v", fs)
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	p := loadPack(t, "p", map[string]string{
		"slow.rego": ruleSrc("Slow", "TH-T-020", "iam.amazonaws.com:DeleteUser", "builtin.t.slow", `
alert contains {"msg": "slow"} if {
	`+endless+`
}
`),
	})
	// The rule never ends: only the deadline stops it (a deadline not enforced hangs the
	// test until go test's timeout).
	e, errs := newEngine(t, Options{Deadline: 20 * time.Millisecond}, p)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in, _ := ParseInput([]byte(`{}`))
	_, errs = e.Evaluate(context.Background(), e.Select("iam.amazonaws.com", "DeleteUser"), in)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "deadline") {
		t.Fatalf("errs = %v, want a deadline error", errs)
	}
}

func TestRestrictedBuiltinsAndIsolation(t *testing.T) {
	for _, call := range []string{
		`http.send({"method": "GET", "url": "http://127.0.0.1:1"})`,
		`net.lookup_ip_addr("example.com")`,
		`opa.runtime()`,
		`time.now_ns()`,
	} {
		t.Run(call, func(t *testing.T) {
			bad := loadPack(t, "bad", map[string]string{
				"r.rego": ruleSrc("R", "TH-B-001", "iam.amazonaws.com:DeleteUser", "teams.bad.r", "alert contains {\"msg\": \"m\"} if {\n\tx := "+call+"\n\tx != null\n}\n"),
			})
			good := loadPack(t, "good", map[string]string{
				"r.rego": ruleSrc("R", "TH-G-001", "iam.amazonaws.com:DeleteUser", "teams.good.r", `alert contains {"msg": "m"} if true`),
			})
			e, errs := newEngine(t, Options{}, bad, good)
			if len(errs) != 1 {
				t.Fatalf("errs = %v, want the bad pack reported", errs)
			}
			var pe *PackError
			if !errors.As(errs[0], &pe) || pe.Pack != "bad" {
				t.Fatalf("error %v does not name pack bad", errs[0])
			}
			if got := e.Rules(); len(got) != 1 || got[0].ID != "TH-G-001" {
				t.Fatalf("rules = %v, want only the good pack's", got)
			}
		})
	}
}

func TestDuplicateIDsAcrossPacks(t *testing.T) {
	a := loadPack(t, "a", map[string]string{"r.rego": ruleSrc("R", "TH-D-001", "iam.amazonaws.com:DeleteUser", "teams.a.r", `alert contains {"msg": "m"} if true`)})
	b := loadPack(t, "b", map[string]string{"r.rego": ruleSrc("R", "TH-D-001", "iam.amazonaws.com:DeleteUser", "teams.b.r", `alert contains {"msg": "m"} if true`)})
	e, errs := newEngine(t, Options{}, a, b)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "TH-D-001") {
		t.Fatalf("errs = %v", errs)
	}
	if len(e.Rules()) != 1 {
		t.Fatalf("rules = %v", e.Rules())
	}
}
