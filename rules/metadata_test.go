package rules

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ruleMeta mirrors the custom block of a rule's METADATA (rules/README.md). Decoding with
// DisallowUnknownFields rejects keys the contract does not define, as the loader does.
type ruleMeta struct {
	RuleID      string              `json:"id"`
	Version     int                 `json:"version"`
	Severity    string              `json:"severity"`
	Events      []string            `json:"events"`
	Attack      []string            `json:"attack"`
	Compliance  map[string][]string `json:"compliance"`
	References  []string            `json:"references"`
	Enrich      []string            `json:"enrich"`
	Dedup       *window             `json:"dedup"`
	Threshold   *window             `json:"threshold"`
	Remediation *remediation        `json:"remediation"`
	Runbook     []string            `json:"runbook"`
}

type window struct {
	Count  int      `json:"count,omitempty"`
	Window string   `json:"window"`
	By     []string `json:"by"`
}

type remediation struct {
	Summary     string   `json:"summary"`
	Containment []step   `json:"containment"`
	Steps       []step   `json:"steps"`
	Backout     []step   `json:"backout"`
	References  []string `json:"references"`
}

type step struct {
	Title   string   `json:"title"`
	Console []string `json:"console"`
	CLI     []string `json:"cli"`
}

var (
	ruleIDRe      = regexp.MustCompile(`^TH-[A-Z]{2,4}-[0-9]{3}$`)
	eventRe       = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com:[A-Za-z0-9]+$`)
	attackRe      = regexp.MustCompile(`^TA[0-9]{4}:T[0-9]{4}(\.[0-9]{3})?$`)
	durationRe    = regexp.MustCompile(`^[0-9]+(s|m|h)$`)
	placeholderRe = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	severities    = map[string]bool{"INFORMATIONAL": true, "LOW": true, "MEDIUM": true, "HIGH": true, "CRITICAL": true}

	// Placeholder paths a template may use: the alert fields the Alert v1 contract defines.
	templateRoots = map[string]map[string]bool{
		"target": {"user_name": true, "access_key_id": true, "new_user_name": true, "new_path": true,
			"status": true, "trail_name": true, "rule_name": true, "event_bus_name": true, "function_name": true},
		"actor": {"type": true, "arn": true, "name": true, "account": true, "access_key_id": true,
			"session_issuer": true, "mfa_authenticated": true, "invoked_by": true},
		"event": {"id": true, "name": true, "source": true, "time": true, "account": true, "region": true,
			"source_ip": true, "user_agent": true, "error_code": true, "error_message": true, "read_only": true},
		"context": nil, // any key the rule puts in its findings' context
		"rule":    {"id": true},
	}
)

// ruleAnnotations returns each rule file's package-scoped annotation, keyed by path.
func ruleAnnotations(t *testing.T) map[string]*ast.Annotations {
	t.Helper()
	out := map[string]*ast.Annotations{}
	for p, m := range parseAll(t) {
		if !strings.HasPrefix(p, "builtin/") || isTestFile(p) {
			continue
		}
		for _, a := range m.Annotations {
			if a.Scope == "package" {
				out[p] = a
			}
		}
		if out[p] == nil {
			t.Errorf("%s: no package-scoped # METADATA block", p)
		}
	}
	return out
}

func decodeMeta(t *testing.T, p string, a *ast.Annotations) *ruleMeta {
	t.Helper()
	raw, err := json.Marshal(a.Custom)
	if err != nil {
		t.Fatalf("%s: custom: %v", p, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m ruleMeta
	if err := dec.Decode(&m); err != nil {
		t.Errorf("%s: custom block does not match the contract: %v", p, err)
		return nil
	}
	return &m
}

// TestRuleMetadata checks every rule's METADATA against rules/README.md, as the loader will:
// required keys, id and ATT&CK formats, unique ids, severities, events, dedup/threshold
// shapes, remediation and runbook shapes, and template placeholders.
func TestRuleMetadata(t *testing.T) {
	ids := map[string]string{}
	for p, a := range ruleAnnotations(t) {
		if a.Title == "" || a.Description == "" {
			t.Errorf("%s: METADATA needs a title and a description", p)
		}
		m := decodeMeta(t, p, a)
		if m == nil {
			continue
		}
		if !ruleIDRe.MatchString(m.RuleID) {
			t.Errorf("%s: id %q does not look like TH-XXX-000", p, m.RuleID)
		} else if other, dup := ids[m.RuleID]; dup {
			t.Errorf("%s: id %s already used by %s", p, m.RuleID, other)
		}
		ids[m.RuleID] = p
		if m.Version < 1 {
			t.Errorf("%s: version must be >= 1", p)
		}
		if !severities[m.Severity] {
			t.Errorf("%s: severity %q", p, m.Severity)
		}
		if len(m.Events) == 0 {
			t.Errorf("%s: empty events", p)
		}
		seen := map[string]bool{}
		for _, e := range m.Events {
			if !eventRe.MatchString(e) {
				t.Errorf("%s: event %q is not eventSource:eventName", p, e)
			}
			if seen[e] {
				t.Errorf("%s: event %q listed twice", p, e)
			}
			seen[e] = true
		}
		if len(m.Attack) == 0 {
			t.Errorf("%s: no ATT&CK ids", p)
		}
		for _, id := range m.Attack {
			if !attackRe.MatchString(id) {
				t.Errorf("%s: ATT&CK id %q is not TAxxxx:Txxxx[.xxx]", p, id)
			}
		}
		if len(m.References) == 0 {
			t.Errorf("%s: no references", p)
		}
		checkURLs(t, p, m.References)
		for _, w := range []*window{m.Dedup, m.Threshold} {
			if w == nil {
				continue
			}
			if !durationRe.MatchString(w.Window) || len(w.By) == 0 {
				t.Errorf("%s: dedup/threshold needs a window like 1h and a non-empty by", p)
			}
			for _, b := range w.By {
				checkPath(t, p, "dedup/threshold by", b)
			}
		}
		if len(m.Runbook) < 3 || len(m.Runbook) > 6 {
			t.Errorf("%s: runbook has %d steps, want 3-6", p, len(m.Runbook))
		}
		for _, s := range m.Runbook {
			checkTemplate(t, p, "runbook", s)
		}
		checkRemediation(t, p, m.Remediation)
	}
	if len(ids) == 0 {
		t.Fatal("no rules found under builtin/")
	}
}

func checkURLs(t *testing.T, p string, urls []string) {
	t.Helper()
	for _, u := range urls {
		if !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, " \t\n") {
			t.Errorf("%s: reference %q is not an https URL", p, u)
		}
	}
}

func checkRemediation(t *testing.T, p string, r *remediation) {
	t.Helper()
	if r == nil {
		t.Errorf("%s: no remediation", p)
		return
	}
	if strings.TrimSpace(r.Summary) == "" {
		t.Errorf("%s: remediation.summary is empty", p)
	}
	checkTemplate(t, p, "remediation.summary", r.Summary)
	if len(r.Containment) == 0 {
		t.Errorf("%s: remediation.containment is empty: containment comes first", p)
	}
	if len(r.Backout) == 0 {
		t.Errorf("%s: remediation.backout is empty", p)
	}
	checkURLs(t, p, r.References)
	for _, group := range [][]step{r.Containment, r.Steps, r.Backout} {
		for _, s := range group {
			if strings.TrimSpace(s.Title) == "" {
				t.Errorf("%s: a remediation step has no title", p)
			}
			if len(s.Console) == 0 && len(s.CLI) == 0 {
				t.Errorf("%s: step %q has neither console nor cli entries", p, s.Title)
			}
			checkTemplate(t, p, "title", s.Title)
			for _, c := range s.Console {
				checkTemplate(t, p, "console", c)
			}
			for _, c := range s.CLI {
				checkCLI(t, p, c)
			}
		}
	}
}

// checkCLI enforces the cli template rules: one complete `aws` command on one line, and
// placeholders left unquoted because the engine shell-quotes each value.
func checkCLI(t *testing.T, p, c string) {
	t.Helper()
	if !strings.HasPrefix(c, "aws ") || strings.ContainsAny(c, "\n\r") {
		t.Errorf("%s: cli entry must be one aws command on one line: %q", p, c)
	}
	for _, q := range []string{`'{{`, `"{{`, `}}'`, `}}"`} {
		if strings.Contains(c, q) {
			t.Errorf("%s: cli placeholder is quoted (the engine quotes values): %q", p, c)
		}
	}
	if strings.Count(c, `"`)%2 != 0 && !strings.Contains(c, `\"`) {
		t.Errorf("%s: unbalanced quotes in %q", p, c)
	}
	checkTemplate(t, p, "cli", c)
}

func checkTemplate(t *testing.T, p, where, s string) {
	t.Helper()
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		checkPath(t, p, where, m[1])
	}
	rest := placeholderRe.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") {
		t.Errorf("%s: %s has a malformed placeholder: %q", p, where, s)
	}
}

func checkPath(t *testing.T, p, where, path string) {
	t.Helper()
	root, key, ok := strings.Cut(path, ".")
	keys, known := templateRoots[root]
	switch {
	case !ok || !known || key == "":
		t.Errorf("%s: %s placeholder %q is not target.*, actor.*, event.*, context.* or rule.id", p, where, path)
	case keys != nil && !keys[key]:
		t.Errorf("%s: %s placeholder %q: %s has no field %q in the Alert v1 contract", p, where, path, root, key)
	}
}
