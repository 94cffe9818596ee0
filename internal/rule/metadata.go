package rule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Metadata is a rule's METADATA block: the standard annotations (title, description) and the
// trailhound keys under custom. Unknown custom keys are load errors, so a typo never silently
// disables a setting.
type Metadata struct {
	Title       string `json:"-"`
	Description string `json:"-"`

	ID          string              `json:"id"`
	Version     json.Number         `json:"version,omitempty"`
	Severity    Severity            `json:"severity"`
	Events      []EventRef          `json:"events"`
	Attack      []string            `json:"attack,omitempty"`
	Compliance  map[string][]string `json:"compliance,omitempty"`
	References  []string            `json:"references,omitempty"`
	Enrich      []string            `json:"enrich,omitempty"`
	Dedup       *Dedup              `json:"dedup,omitempty"`
	Threshold   *Threshold          `json:"threshold,omitempty"`
	Remediation Remediation         `json:"remediation"`
	Runbook     []string            `json:"runbook,omitempty"`
}

// EventRef names one CloudTrail event a rule evaluates: eventSource and eventName.
type EventRef struct {
	Source string
	Name   string
}

func (e EventRef) String() string { return e.Source + ":" + e.Name }

// MarshalJSON writes "source:name".
func (e EventRef) MarshalJSON() ([]byte, error) { return json.Marshal(e.String()) }

// UnmarshalJSON reads "source:name", e.g. "iam.amazonaws.com:UpdateAccessKey".
func (e *EventRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	src, name, ok := strings.Cut(s, ":")
	if !ok || !eventSourceRE.MatchString(src) || !eventNameRE.MatchString(name) {
		return fmt.Errorf("event %q: want eventSource:eventName, e.g. iam.amazonaws.com:UpdateAccessKey", s)
	}
	*e = EventRef{Source: src, Name: name}
	return nil
}

// Dedup folds repeated alerts of a rule into one within a window, grouped by alert fields.
type Dedup struct {
	Window Duration `json:"window"`
	By     []string `json:"by"`
}

// Threshold raises one alert when Count matching events share a group key within Window.
type Threshold struct {
	Count  int      `json:"count"`
	Window Duration `json:"window"`
	By     []string `json:"by"`
}

// Duration is a time.Duration written as "90s", "10m", "1h" in metadata.
type Duration struct{ time.Duration }

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	if v <= 0 {
		return fmt.Errorf("duration %q must be positive", s)
	}
	d.Duration = v
	return nil
}

// Remediation is what the analyst should do: containment first, then steps, then how to undo.
type Remediation struct {
	Summary     string   `json:"summary"`
	Containment []Step   `json:"containment,omitempty"`
	Steps       []Step   `json:"steps,omitempty"`
	Backout     []Step   `json:"backout,omitempty"`
	References  []string `json:"references,omitempty"`
}

// Step is one remediation action, as console instructions and complete AWS CLI commands.
// Strings may hold {{placeholders}} (see rules/README.md).
type Step struct {
	Title   string   `json:"title"`
	Console []string `json:"console,omitempty"`
	CLI     []string `json:"cli,omitempty"`
}

var (
	idRE          = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)
	attackRE      = regexp.MustCompile(`^TA\d{4}:T\d{4}(\.\d{3})?$`)
	eventSourceRE = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$`)
	eventNameRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	fieldPathRE   = regexp.MustCompile(`^(actor|target|event|context|rule)\.[a-z_][a-z0-9_]*$`)
	// EnrichNames are the lookups a rule may declare in custom.enrich; lookup
	// <subject>_<name> fills input.enrichment.<subject>.<name> (internal/enrich).
	EnrichNames = map[string]bool{
		"target_access_keys": true, "target_access_key_last_used": true, "target_mfa": true,
		"target_login_profile": true, "target_groups_policies": true, "target_tags": true,
		"actor_access_keys": true, "actor_mfa": true, "actor_login_profile": true,
		"actor_groups_policies": true, "actor_tags": true,
	}
)

// decodeCustom reads the custom annotation map strictly: unknown keys are errors.
func decodeCustom(custom map[string]any) (Metadata, error) {
	var m Metadata
	if custom == nil {
		return m, errors.New("no custom metadata (custom.id, custom.severity, custom.events are required)")
	}
	b, err := json.Marshal(custom)
	if err != nil {
		return m, fmt.Errorf("custom metadata: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("custom metadata: %w", err)
	}
	return m, nil
}

// Validate checks the metadata against the rule contract and returns every problem found.
func (m *Metadata) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !idRE.MatchString(m.ID) {
		bad("custom.id %q: want an upper-case id like TH-IAM-001", m.ID)
	}
	if strings.TrimSpace(m.Title) == "" {
		bad("title is required")
	}
	if !m.Severity.Valid() {
		bad("custom.severity is required (INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL)")
	}
	if len(m.Events) == 0 {
		bad("custom.events must name at least one eventSource:eventName")
	}
	for _, a := range m.Attack {
		if !attackRE.MatchString(a) {
			bad("custom.attack %q: want TAxxxx:Txxxx or TAxxxx:Txxxx.xxx", a)
		}
	}
	for _, e := range m.Enrich {
		if !EnrichNames[e] {
			bad("custom.enrich %q: unknown lookup", e)
		}
	}
	if d := m.Dedup; d != nil {
		if d.Window.Duration == 0 || len(d.By) == 0 {
			bad("custom.dedup needs window and by")
		}
		m.checkPaths("custom.dedup.by", d.By, bad)
	}
	if m.Dedup != nil && m.Threshold != nil {
		bad("custom.dedup and custom.threshold exclude each other: a threshold alert already folds the later events of its window")
	}
	if t := m.Threshold; t != nil {
		if t.Count < 2 || t.Window.Duration == 0 || len(t.By) == 0 {
			bad("custom.threshold needs count >= 2, window and by")
		}
		m.checkPaths("custom.threshold.by", t.By, bad)
	}
	if strings.TrimSpace(m.Remediation.Summary) == "" {
		bad("custom.remediation.summary is required")
	}
	for _, group := range []struct {
		name  string
		steps []Step
	}{{"containment", m.Remediation.Containment}, {"steps", m.Remediation.Steps}, {"backout", m.Remediation.Backout}} {
		for i, s := range group.steps {
			where := fmt.Sprintf("custom.remediation.%s[%d]", group.name, i)
			if strings.TrimSpace(s.Title) == "" {
				bad("%s: title is required", where)
			}
			if len(s.Console) == 0 && len(s.CLI) == 0 {
				bad("%s: needs console or cli entries", where)
			}
			for _, c := range s.CLI {
				if !strings.HasPrefix(c, "aws ") {
					bad("%s: cli entry must be an AWS CLI command starting with \"aws \": %q", where, c)
				}
				checkShellContexts(where+": cli entry", c, ShellContexts(c), bad)
			}
			for _, t := range append([]string{s.Title}, s.Console...) {
				checkShellContexts(where, t, TextShellContexts(t), bad)
			}
			m.checkTemplates(where, append(append([]string{s.Title}, s.Console...), s.CLI...), bad)
		}
	}
	m.checkTemplates("custom.remediation.summary", []string{m.Remediation.Summary}, bad)
	m.checkTemplates("custom.runbook", m.Runbook, bad)
	for _, t := range append([]string{m.Remediation.Summary}, m.Runbook...) {
		checkShellContexts("custom.remediation.summary/runbook", t, TextShellContexts(t), bad)
	}
	return errors.Join(errs...)
}

// checkShellContexts refuses a placeholder that stands anywhere but as a plain shell word:
// values are inserted shell-quoted, and quotes around them (or a substitution, or a
// backslash) would undo that quoting when an analyst pastes the command.
func checkShellContexts(where, t string, ctxs []string, bad func(string, ...any)) {
	holes := Holes(t)
	for i, c := range ctxs {
		if c != ShellPlain {
			bad("%s: placeholder {{%s}} stands %s; a placeholder must be a shell word of its own (its value is inserted shell-quoted), never inside quotes, a substitution or after a backslash: %q", where, holes[i].Path, c, t)
		}
	}
}

func (m *Metadata) checkPaths(where string, paths []string, bad func(string, ...any)) {
	for _, p := range paths {
		if !fieldPathRE.MatchString(p) {
			bad("%s %q: want a field path like actor.arn or target.user_name", where, p)
		}
	}
}

func (m *Metadata) checkTemplates(where string, texts []string, bad func(string, ...any)) {
	for _, t := range texts {
		for _, ph := range Placeholders(t) {
			if !fieldPathRE.MatchString(ph) {
				bad("%s: placeholder {{%s}}: want actor.*, target.*, event.*, context.* or rule.*", where, ph)
			}
		}
		if strings.Count(t, "{{") != len(Placeholders(t)) {
			bad("%s: unbalanced {{ }} in %q", where, t)
		}
	}
}

// Placeholders lists the {{path}} placeholders in a template string, in order.
func Placeholders(s string) []string {
	var out []string
	for _, h := range Holes(s) {
		out = append(out, h.Path)
	}
	return out
}

// Hole is one {{path}} placeholder of a template string s: s[Start:End] is the placeholder,
// braces included, and Path its path with the surrounding white space trimmed.
type Hole struct {
	Start, End int
	Path       string
}

// Holes lists the placeholders of a template string in order: what the regexp
// `\{\{\s*([^{}]*?)\s*\}\}` gives for each of its matches, leftmost first (\s being
// [\t\n\f\r ]). It scans by hand because it runs over every remediation string of every rule
// at load, where the regexp was ~10% of a pack's parsing; the alert builder splits templates
// with it too.
func Holes(s string) []Hole {
	var out []Hole
	for i := 0; ; {
		k := strings.Index(s[i:], "{{")
		if k < 0 {
			return out
		}
		start := i + k
		end := start + 2
		for end < len(s) && s[end] != '{' && s[end] != '}' {
			end++
		}
		if end+1 < len(s) && s[end] == '}' && s[end+1] == '}' {
			out = append(out, Hole{Start: start, End: end + 2, Path: strings.Trim(s[start+2:end], " \t\n\f\r")})
			i = end + 2
		} else {
			i = start + 1 // no placeholder starts here; one may start at the next brace
		}
	}
}
