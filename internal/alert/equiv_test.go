package alert

// Equivalence of the compiled templates, the field resolver and the record scanner with the
// straightforward implementations they replaced (kept here as references): referenceExpand over
// the map of Fields, and json.Unmarshal of the record.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// referenceFields is Fields as it was: a map of every path, empty values deleted.
func referenceFields(a *Alert) map[string]string {
	out := map[string]string{
		"rule.id": a.Rule.ID, "rule.title": a.Rule.Title,
		"event.id": a.Event.ID, "event.name": a.Event.Name, "event.source": a.Event.Source,
		"event.time": a.Event.Time, "event.account": a.Event.Account, "event.region": a.Event.Region,
		"event.source_ip": a.Event.SourceIP, "event.user_agent": a.Event.UserAgent,
		"event.error_code": a.Event.ErrorCode, "event.error_message": a.Event.ErrorMessage,
		"actor.type": a.Actor.Type, "actor.arn": a.Actor.ARN, "actor.name": a.Actor.Name,
		"actor.account": a.Actor.Account, "actor.access_key_id": a.Actor.AccessKeyID,
		"actor.session_issuer": a.Actor.SessionIssuer, "actor.invoked_by": a.Actor.InvokedBy,
	}
	out["actor.mfa_authenticated"] = fmt.Sprint(a.Actor.MFAAuthenticated)
	for k, v := range a.Target {
		out["target."+k] = v
	}
	for k, v := range a.Context {
		switch x := v.(type) {
		case string:
			out["context."+k] = x
		case json.Number, bool, int, int64, float64:
			out["context."+k] = fmt.Sprint(x)
		}
	}
	for k, v := range out {
		if v == "" {
			delete(out, k)
		}
	}
	return out
}

func referenceShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_@%+=:,./-", c) >= 0) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// referencePlaceholder is the placeholder regexp templates were expanded with.
var referencePlaceholder = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// referenceExpand is the template expansion fill replaced (it was rule.Expand): each
// {{path}} replaced by lookup(path); s unchanged, with the first path lookup could not
// resolve, when there is one.
func referenceExpand(s string, lookup func(path string) (string, bool)) (string, string, bool) {
	missing := ""
	out := referencePlaceholder.ReplaceAllStringFunc(s, func(m string) string {
		path := referencePlaceholder.FindStringSubmatch(m)[1]
		v, ok := lookup(path)
		if !ok && missing == "" {
			missing = path
		}
		return v
	})
	if missing != "" {
		return s, missing, false
	}
	return out, "", true
}

// referenceOption is an option right before a placeholder ("... --user-name ").
var referenceOption = regexp.MustCompile(`(^| )--[^ ]+ $`)

// referenceExpandJoin is referenceExpand for remediation entries: a value that starts with
// "-" (shell-quoted or not) right after an option is joined to it with "=".
func referenceExpandJoin(s string, lookup func(path string) (string, bool)) (string, string, bool) {
	missing := ""
	var b strings.Builder
	last := 0
	for _, m := range referencePlaceholder.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		path := s[m[2]:m[3]]
		v, ok := lookup(path)
		if !ok && missing == "" {
			missing = path
		}
		if out := b.String(); (strings.HasPrefix(v, "-") || strings.HasPrefix(v, "'-")) && referenceOption.MatchString(out) {
			b.Reset()
			b.WriteString(out[:len(out)-1] + "=")
		}
		b.WriteString(v)
		last = m[1]
	}
	if missing != "" {
		return s, missing, false
	}
	b.WriteString(s[last:])
	return b.String(), "", true
}

// referenceFill is fill as it was, on referenceExpandJoin.
func referenceFill(a *Alert, r *rule.Rule) {
	fields := referenceFields(a)
	lookup := func(p string) (string, bool) {
		v, ok := fields[p]
		return referenceShellQuote(v), ok
	}
	expand := func(s string) (string, string, bool) { return referenceExpandJoin(s, lookup) }
	texts := func(in []string) []string {
		out := make([]string, 0, len(in))
		for _, s := range in {
			if v, _, ok := expand(s); ok {
				out = append(out, v)
			}
		}
		return out
	}
	steps := func(in []rule.Step) []Step {
		out := make([]Step, 0, len(in))
		for _, s := range in {
			title, _, ok := expand(s.Title)
			if !ok {
				continue
			}
			st := Step{Title: title, Console: texts(s.Console), CLI: make([]string, 0, len(s.CLI))}
			for _, c := range s.CLI {
				cmd, missing, ok := expand(c)
				if !ok {
					if !strings.HasPrefix(missing, "context.") {
						st.Omitted = append(st.Omitted, fmt.Sprintf("a command needs %s, which this event does not carry: %s", missing, c))
					}
					continue
				}
				st.CLI = append(st.CLI, cmd)
			}
			if len(st.Console) == 0 && len(st.CLI) == 0 {
				continue
			}
			out = append(out, st)
		}
		return out
	}
	summary, _, _ := referenceExpand(r.Remediation.Summary, func(p string) (string, bool) {
		if v, ok := lookup(p); ok {
			return v, true
		}
		return "<unknown " + p + ">", true
	})
	rem := r.Remediation
	a.Remediation = Remediation{
		Summary:     summary,
		Containment: steps(rem.Containment),
		Steps:       steps(rem.Steps),
		Backout:     steps(rem.Backout),
		References:  nonNil(rem.References),
	}
	a.Runbook = texts(r.Runbook)
}

// fuzzAlert is an alert with some of every kind of field set, empty, or missing.
func fuzzAlert(v1, v2 string) *Alert {
	return &Alert{
		Rule:   Rule{ID: "TH-X-1", Title: v1},
		Event:  Event{ID: "e1", Name: v2, Time: "2024-05-01T10:00:00Z", Account: "111122223333", SourceIP: v1},
		Actor:  Actor{ARN: "arn:aws:iam::1:user/" + v2, Name: v1, MFAAuthenticated: len(v1)%2 == 0},
		Target: map[string]string{"user_name": v1, "key": v2, "": "empty key", "a.b": "dotted", "empty": ""},
		Context: map[string]any{"s": v2, "n": json.Number("42"), "b": true, "i": 7, "i64": int64(-3), "f": 1e21, "f2": 0.5,
			"list": []any{"x"}, "map": map[string]any{"k": "v"}, "nil": nil, "notes": []string{"n"}, "empty": ""},
	}
}

func checkFill(t *testing.T, a *Alert, r *rule.Rule) {
	t.Helper()
	want, got := *a, *a
	referenceFill(&want, r)
	fill(&got, compile(r))
	if !reflect.DeepEqual(want.Remediation, got.Remediation) || !reflect.DeepEqual(want.Runbook, got.Runbook) {
		t.Fatalf("rule %+v\nwant %#v\n     %#v\ngot  %#v\n     %#v", r.Remediation, want.Remediation, want.Runbook, got.Remediation, got.Runbook)
	}
	// The slices share one backing array: appending to one entry's slice must not change
	// another's.
	for _, steps := range [][]Step{got.Remediation.Containment, got.Remediation.Steps, got.Remediation.Backout} {
		for _, s := range steps {
			for _, l := range [][]string{s.Console, s.CLI, s.Omitted} {
				if len(l) != cap(l) {
					t.Fatalf("len %d cap %d: an append would write into the next entry", len(l), cap(l))
				}
			}
		}
	}
	if len(got.Runbook) != cap(got.Runbook) {
		t.Fatal("runbook cap")
	}
}

var fuzzPaths = []string{"target.user_name", "target.key", "target.", "target.a.b", "target.empty", "target.missing",
	"context.s", "context.n", "context.b", "context.i", "context.i64", "context.f", "context.f2", "context.list",
	"context.map", "context.nil", "context.notes", "context.empty", "context.missing", "actor.arn", "actor.name",
	"actor.type", "actor.mfa_authenticated", "event.time", "event.region", "event.read_only", "rule.id", "rule.title",
	"rule.version", "", "target", "bogus"}

func FuzzFill(f *testing.F) {
	f.Add("aws iam x --user-name {{target.user_name}} --key {{ target.key }}", "Step {{context.s}}", "bob", "it's")
	f.Add("{{{target.key}}} {{ target.missing}} {{context.n}}", "{{actor.arn}}}}{{", "", "a b")
	f.Add("{{\ttarget.user_name\n}} {{\vtarget.key}} {{}} {{ }} {{target.user_name", "x{{context.missing}}", "$(id)", "ünï")
	f.Add("{{a{b}} {{a}b}} }}{{target.key}}{{", "{{context.f}} {{context.f2}} {{context.i64}}", "-rf", "*")
	f.Add("aws iam x --user-name {{target.user_name}} --access-key-id {{target.key}} -- {{target.user_name}}", "x --y {{target.key}}", "-bob", "-rf x")
	for _, p := range fuzzPaths {
		f.Add("cmd {{"+p+"}} and {{target.key}}", "title {{"+p+"}}", "v", "w x")
	}
	f.Fuzz(func(t *testing.T, cli, title, v1, v2 string) {
		r := &rule.Rule{Metadata: rule.Metadata{ID: "TH-X-1", Remediation: rule.Remediation{
			Summary: title + " / " + cli,
			Containment: []rule.Step{
				{Title: title, Console: []string{cli, title}, CLI: []string{cli, title, "static"}},
				{Title: "fixed", CLI: []string{cli}},
			},
			Steps:   []rule.Step{{Title: cli, Console: []string{title}}},
			Backout: []rule.Step{{Title: title, CLI: []string{title + cli}}},
		}, Runbook: []string{cli, title, "plain"}}}
		checkFill(t, fuzzAlert(v1, v2), r)
		a := fuzzAlert(v1, v2)
		if !reflect.DeepEqual(Fields(a), referenceFields(a)) {
			t.Fatalf("Fields\n%v\n%v", Fields(a), referenceFields(a))
		}
		for _, p := range fuzzPaths {
			ref := resolve(p)
			got, ok := ref.value(a)
			want, wok := referenceFields(a)[p]
			if got != want || ok != wok {
				t.Fatalf("%s: got %q %v, want %q %v", p, got, ok, want, wok)
			}
		}
		if got, want := ShellQuote(v1), referenceShellQuote(v1); got != want {
			t.Fatalf("ShellQuote(%q) = %q, want %q", v1, got, want)
		}
	})
}

func TestFillMatchesReferenceOnThePack(t *testing.T) {
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rules {
		for _, v := range []string{"plain", "it's", "", "a b"} {
			checkFill(t, fuzzAlert(v, v), r)
			a := fuzzAlert(v, v)
			a.Target, a.Context = nil, nil
			checkFill(t, a, r)
		}
	}
}

func FuzzRecordFields(f *testing.F) {
	for _, s := range []string{
		`{"sourceIPAddress":"1.2.3.4","userAgent":"aws-cli/2","errorMessage":"no","readOnly":true,"userIdentity":{"accountId":"1"}}`,
		`{"sourceIPAddress":"a","sourceIPAddress":null,"userIdentity":{"accountId":"1"},"userIdentity":{"type":"x"},"readOnly":"TRUE"}`,
		`{"SourceIPAddress":"a"}`, `{"sourceipaddress":"a"}`, `{"userIdentity":{"AccountId":"x"}}`, `{"\u0073ourceIPAddress":"a"}`,
		`{"ſourceIPAddress":"a"}`, `{"userAgent":"a\"b"}`, `{"userAgent":"\xff\xfe"}`, `{"userAgent":"ünï"}`, `{"userAgent":5}`,
		`{"userIdentity":"x"}`, `{"userIdentity":null,"readOnly":null}`, `{"readOnly":"tru\u0065"}`, `{"readOnly":{"a":[1,2.5e3,-0,true]}}`,
		`[]`, ``, `{}`, ` {} `, `{} x`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"\x01"}`, `{"a" 1}`, `{"a":1,}`, `{"a":[1,]}`,
		`{"a":tru}`, `{"a":"\q"}`, `{"a":"\u12"}`, `{"errorMessage":"x","errorMessage":"y"}`, "{\"a\":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]}",
		`{"a":{"b":{"c":"d\\"}}, "userIdentity":{"accountId":null}}`, "{\t\"readOnly\"\r:\ntrue }",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		parsed, err := engine.ParseInput(raw)
		if err != nil || !json.Valid(raw) || hasDuplicateKeys(raw) {
			// Not a record the pipeline would build alerts for (the decoder passes valid JSON
			// only); or one whose duplicate keys
			// the parsed record resolves as the rules see them (the last value), where
			// encoding/json keeps a string over a later null.
			return
		}
		ip, ua, em, acct, ro, odd, err := recordFields(raw, engine.ReadRecordFields(parsed))
		wip, wua, wem, wacct, wro, wodd, werr := recordFields(raw, engine.RecordFields{}) // encoding/json
		if (err != nil) != (werr != nil) || ip != wip || ua != wua || em != wem || acct != wacct || ro != wro || len(odd) != len(wodd) {
			t.Fatalf("%q: from the parsed record %q %q %q %q %v %v; encoding/json %q %q %q %q %v %v",
				raw, ip, ua, em, acct, ro, err, wip, wua, wem, wacct, wro, werr)
		}
	})
}

// hasDuplicateKeys reports whether some object in raw (valid JSON) repeats a key.
func hasDuplicateKeys(raw []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool // the next string token of an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true // after this value
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, object: true, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
		}
	}
}
