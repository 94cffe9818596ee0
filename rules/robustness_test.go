package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/trailhound/trailhound/internal/testutil"
)

// packQuery prepares one query over the pack's non-test modules with strict builtin errors,
// the way a production engine would run them: a builtin error is a rule error.
func packQuery(t *testing.T, query string) rego.PreparedEvalQuery {
	t.Helper()
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	}
	for _, p := range regoFiles(t) {
		if isTestFile(p) {
			continue
		}
		src, err := fs.ReadFile(FS, p)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, rego.Module(p, string(src)))
	}
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		t.Fatalf("prepare %s: %v", query, err)
	}
	return pq
}

// hostileValues replace fields of otherwise plausible records: wrong types, empty and masked
// values. Event fields are attacker-influenced and fixtures are hand-made; no rule may error.
var hostileValues = []any{nil, 7, "", "HIDDEN_DUE_TO_SECURITY_REASONS", map[string]any{}, []any{"x", 1, nil}}

var hostileFields = []string{
	"userIdentity", "userIdentity.type", "userIdentity.arn", "userIdentity.userName",
	"userIdentity.accountId", "userIdentity.accessKeyId", "userIdentity.invokedBy",
	"userIdentity.sessionContext", "userIdentity.sessionContext.sessionIssuer",
	"userIdentity.sessionContext.attributes.mfaAuthenticated",
	"requestParameters", "requestParameters.userName", "requestParameters.accessKeyId",
	"requestParameters.status", "requestParameters.newUserName", "requestParameters.newPath",
	"requestParameters.name", "requestParameters.trailName", "requestParameters.eventSelectors",
	"requestParameters.advancedEventSelectors", "requestParameters.rule", "requestParameters.ids",
	"requestParameters.eventBusName", "requestParameters.functionName",
	"requestParameters.reservedConcurrentExecutions", "requestParameters.includeGlobalServiceEvents",
	"responseElements", "responseElements.accessKey", "responseElements.codeSha256",
	"errorCode", "errorMessage", "eventTime", "sourceIPAddress", "userAgent", "awsRegion",
	"recipientAccountId", "sessionCredentialFromConsole",
}

func baseRecord(source, name string) map[string]any {
	return map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLE000000001",
			"arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333",
			"accessKeyId": "AKIAEXAMPLE000000001", "userName": "alice",
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::111122223333:role/Admin"},
				"attributes":    map[string]any{"mfaAuthenticated": "false"},
			},
		},
		"eventTime": "2026-03-01T10:30:00Z", "eventSource": source, "eventName": name,
		"awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "AWS Internal",
		"requestParameters": map[string]any{
			"userName": "bob", "accessKeyId": "AKIAEXAMPLEBOBKEY001", "status": "Active",
			"newUserName": "robert", "newPath": "/x/", "name": "trailhound-x", "trailName": "t",
			"eventSelectors": []any{map[string]any{"includeManagementEvents": false}},
			"rule":           "trailhound-x", "ids": []any{"1"}, "functionName": "trailhound-fn",
			"reservedConcurrentExecutions": 0, "includeGlobalServiceEvents": false,
		},
		"responseElements":   map[string]any{"accessKey": map[string]any{"accessKeyId": "AKIAEXAMPLENEWKEY001"}},
		"recipientAccountId": "111122223333",
	}
}

// set replaces the value at a dotted path, creating objects on the way.
func set(rec map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	cur := rec
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[parts[len(parts)-1]] = v
}

func clone(rec map[string]any) map[string]any {
	b, _ := json.Marshal(rec)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// ruleQueries prepares, per rule file, a query for its alerts, keyed by the events it declares
// (what the engine's selection does), plus the actor helper for every event.
func ruleQueries(t *testing.T) map[[2]string][]namedQuery {
	t.Helper()
	out := map[[2]string][]namedQuery{}
	for p, a := range ruleAnnotations(t) {
		m := decodeMeta(t, p, a)
		if m == nil {
			continue
		}
		pkg := "data.builtin." + strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(p, "builtin/"), ".rego"), "/", ".")
		q := namedQuery{id: m.RuleID, pq: packQuery(t, "x := "+pkg+".alert; y := data.lib.cloudtrail.actor")}
		for _, e := range m.Events {
			src, name, _ := strings.Cut(e, ":")
			out[[2]string{src, name}] = append(out[[2]string{src, name}], q)
		}
	}
	return out
}

type namedQuery struct {
	id string
	pq rego.PreparedEvalQuery
}

// TestRulesNeverErrorOnHostileInput evaluates every rule and the actor helper on records of
// the events the rule declares whose fields, one at a time, have the wrong type, are empty,
// or are masked, with strict builtin errors: a rule must raise nothing or a well-formed
// finding, never a rule error.
func TestRulesNeverErrorOnHostileInput(t *testing.T) {
	n := 0
	for ev, queries := range ruleQueries(t) {
		for _, errored := range []bool{false, true} {
			if errored && testing.Short() {
				continue
			}
			for _, field := range hostileFields {
				for _, v := range hostileValues {
					rec := clone(baseRecord(ev[0], ev[1]))
					if errored {
						rec["errorCode"] = "AccessDenied"
						rec["errorMessage"] = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: x on resource: user bob"
					}
					set(rec, field, v)
					for _, q := range queries {
						n++
						where := fmt.Sprintf("%s on %s:%s errored=%v with %s=%#v", q.id, ev[0], ev[1], errored, field, v)
						rs, err := q.pq.Eval(context.Background(), rego.EvalInput(rec))
						if err != nil {
							t.Fatalf("%s: %v", where, err)
						}
						checkResult(t, where, rs)
					}
				}
			}
		}
	}
	t.Logf("%d rule evaluations on hostile records", n)
}

// TestRulesOnCorpus evaluates the pack on every real record of the shared corpus with strict
// builtin errors; expectations per record live with the pipeline's corpus test.
func TestRulesOnCorpus(t *testing.T) {
	queries := ruleQueries(t)
	for _, f := range testutil.CorpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec any
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, qs := range queries {
			for _, q := range qs {
				rs, err := q.pq.Eval(context.Background(), rego.EvalInput(rec))
				if err != nil {
					t.Fatalf("%s on %s: %v", q.id, f, err)
				}
				checkResult(t, q.id+" on "+f, rs)
			}
		}
	}
}

// checkResult checks the finding shape the alert builder relies on: msg a non-empty string,
// target an object of strings, severity (if set) a known level, context an object; and that
// data.lib.cloudtrail.actor is an object.
func checkResult(t *testing.T, where string, rs rego.ResultSet) {
	t.Helper()
	if len(rs) != 1 {
		t.Fatalf("%s: %d results", where, len(rs))
	}
	if _, ok := rs[0].Bindings["y"].(map[string]any); !ok {
		t.Errorf("%s: data.lib.cloudtrail.actor is not an object", where)
	}
	alerts, ok := rs[0].Bindings["x"].([]any)
	if !ok {
		t.Fatalf("%s: alert is not a set", where)
	}
	for _, a := range alerts {
		f, ok := a.(map[string]any)
		if !ok {
			t.Errorf("%s: finding is not an object", where)
			continue
		}
		if msg, _ := f["msg"].(string); msg == "" {
			t.Errorf("%s: finding has no msg", where)
		}
		if tgt, ok := f["target"]; ok {
			obj, isObj := tgt.(map[string]any)
			if !isObj {
				t.Errorf("%s: target is not an object", where)
			}
			for k, v := range obj {
				if _, isStr := v.(string); !isStr {
					t.Errorf("%s: target.%s is not a string: %#v", where, k, v)
				}
			}
		}
		if sev, ok := f["severity"]; ok && !severities[fmt.Sprint(sev)] {
			t.Errorf("%s: severity %v", where, sev)
		}
		if c, ok := f["context"]; ok {
			if _, isObj := c.(map[string]any); !isObj {
				t.Errorf("%s: context is not an object", where)
			}
		}
	}
}
