package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
)

// WriteJSON writes the alert as one line of JSON (JSON Lines). encoding/json escapes control
// characters and HTML-significant characters in every string, so event values cannot break
// the framing.
func WriteJSON(w io.Writer, a *Alert) error {
	return withJSON(a, "\n", func(b []byte) error {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("write alert %s: %w", a.ID, err)
		}
		return nil
	})
}

// JSON returns the alert's JSON, the bytes json.Marshal gives, at a fraction of its cost: it
// is encoded into a pooled buffer and copied out at its exact size.
func JSON(a *Alert) ([]byte, error) {
	var out []byte
	err := withJSON(a, "", func(b []byte) error {
		out = append(make([]byte, 0, len(b)), b...)
		return nil
	})
	return out, err
}

// withJSON encodes the alert, followed by suffix, into a pooled buffer and passes it to use,
// which must not keep it.
func withJSON(a *Alert, suffix string, use func([]byte) error) error {
	bp := jsonBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 256<<10 {
			jsonBufs.Put(bp)
		}
	}()
	b, err := AppendJSON((*bp)[:0], a)
	*bp = b
	if err != nil {
		return err
	}
	b = append(b, suffix...)
	*bp = b
	return use(b)
}

// AppendJSON appends the alert's JSON (what encoding/json makes of it), without a newline.
func AppendJSON(b []byte, a *Alert) ([]byte, error) {
	b, err := appendAlert(b, a)
	if err != nil {
		return b, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	return b, nil
}

var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// TextOptions are the choices of the text renderer.
type TextOptions struct {
	// Color shows the severity in colour with ANSI escapes (for a terminal that has not asked
	// for NO_COLOR). Event values are cleaned either way, so they cannot carry escapes.
	Color bool
}

// severityColors are the ANSI SGR parameters of each severity's tag.
var severityColors = map[string]string{
	"CRITICAL":      "1;97;41", // bold white on red
	"HIGH":          "1;31",    // bold red
	"MEDIUM":        "33",      // yellow
	"LOW":           "36",      // cyan
	"INFORMATIONAL": "2",       // faint
}

// severityTag is "[SEVERITY]", in the severity's colour when o.Color.
func (o TextOptions) severityTag(sev string) string {
	tag := "[" + Clean(sev) + "]"
	if c, ok := severityColors[sev]; ok && o.Color {
		return "\x1b[" + c + "m" + tag + "\x1b[0m"
	}
	return tag
}

// Text renders the alert for a person reading a terminal, an e-mail or an SNS message,
// without colour (TextWith).
func Text(a *Alert) string { return TextWith(a, TextOptions{}) }

// TextWith renders the alert for a person: the severity, title, rule and team first, then the
// one-sentence summary, then what happened (event, actor, target), what it stands for (dedup
// count, first and last seen), the context values that say something, and what to do. Every
// value from the event is passed through Clean, so terminal escape sequences and forged line
// breaks in attacker-controlled fields are shown, not obeyed.
func TextWith(a *Alert, o TextOptions) string {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("%s %s (%s%s)\n", o.severityTag(a.Severity), Clean(a.Title), Clean(a.Rule.ID), teamSuffix(a.Rule.Team))
	p("  %s\n", Clean(a.Summary))
	for _, r := range a.SeverityReasons {
		p("  severity %s %s -> %s by %s: %s\n", r.Change, r.From, r.To, Clean(r.By), Clean(r.Reason))
	}
	if t := a.Tuning; t != nil {
		if t.Staged {
			p("  STAGED rule: delivered to the staging route only\n")
		}
		if e := t.Exception; e != nil {
			p("  tuned by exception %s (%s; owner %s, expires %s): %s\n", Clean(e.ID), Clean(e.Action), Clean(e.Owner), Clean(e.Expires), Clean(e.Reason))
		}
	}
	p("  event:  %s %s at %s, account %s, region %s\n", Clean(a.Event.Source), Clean(a.Event.Name), Clean(a.Event.Time), Clean(a.Event.Account), Clean(a.Event.Region))
	var origin []string
	for _, f := range [][2]string{{"id", a.Event.ID}, {"from", a.Event.SourceIP}, {"agent", a.Event.UserAgent}} {
		if f[1] != "" {
			origin = append(origin, f[0]+" "+Clean(f[1]))
		}
	}
	if len(origin) > 0 {
		p("          %s\n", strings.Join(origin, ", "))
	}
	if a.Event.ErrorCode != "" {
		p("          error %s: %s\n", Clean(a.Event.ErrorCode), Clean(a.Event.ErrorMessage))
	}
	if a.Actor.Type != "" || a.Actor.ARN != "" {
		p("  actor:  %s", Clean(strings.TrimSpace(a.Actor.Type+" "+a.Actor.ARN)))
		if a.Actor.SessionIssuer != "" {
			p(" (session issuer %s)", Clean(a.Actor.SessionIssuer))
		}
		if a.Actor.InvokedBy != "" {
			p(", invoked by %s", Clean(a.Actor.InvokedBy))
		}
		if a.Actor.MFAAuthenticated {
			p(", with MFA\n")
		} else {
			p(", without MFA\n")
		}
	}
	if len(a.Target) > 0 {
		var parts []string
		for _, k := range sortedKeys(a.Target) {
			if a.Target[k] != "" {
				parts = append(parts, Clean(k)+"="+Clean(a.Target[k]))
			}
		}
		if len(parts) > 0 {
			p("  target: %s\n", strings.Join(parts, " "))
		}
	}
	if line := seenLine(a.Dedup); line != "" {
		p("  seen:   %s\n", line)
	}
	for _, k := range sortedKeys(a.Context) {
		v, ok := telling(a.Context[k], true)
		if !ok {
			continue
		}
		j, _ := json.Marshal(v)
		p("  context %s: %s\n", Clean(k), Clean(string(j)))
	}
	if len(a.Rule.Attack) > 0 {
		p("  ATT&CK: %s\n", Clean(strings.Join(a.Rule.Attack, ", ")))
	}
	if a.Remediation.Summary != "" {
		p("  remediation: %s\n", Clean(a.Remediation.Summary))
	}
	section := func(name string, steps []Step) {
		for i, s := range steps {
			p("    %s %d. %s\n", name, i+1, Clean(s.Title))
			for _, c := range s.Console {
				p("       console: %s\n", Clean(c))
			}
			for _, c := range s.CLI {
				p("       $ %s\n", Clean(c))
			}
			for _, o := range s.Omitted {
				p("       (omitted: %s)\n", Clean(o))
			}
		}
	}
	section("contain", a.Remediation.Containment)
	section("step", a.Remediation.Steps)
	section("backout", a.Remediation.Backout)
	if len(a.Runbook) > 0 {
		p("  runbook:\n")
		for i, s := range a.Runbook {
			p("    %d. %s\n", i+1, Clean(s))
		}
	}
	if a.Links.CloudTrailConsole != "" {
		p("  link:   %s\n", Clean(a.Links.CloudTrailConsole))
	}
	p("  id:     %s\n", Clean(a.ID))
	return b.String()
}

// TextUpdate is the one line that stands for an alert already shown in full: a dedup or
// threshold update (the same id, a higher dedup count) or a repeated delivery of it. It names
// the alert by id, rule and title, and says what changed.
func TextUpdate(a *Alert, o TextOptions, repeat bool) string {
	what := "update"
	if repeat {
		what = "repeat"
	}
	line := fmt.Sprintf("%s %s of alert %s (%s%s: %s)", o.severityTag(a.Severity), what, Clean(a.ID), Clean(a.Rule.ID), teamSuffix(a.Rule.Team), Clean(a.Title))
	if seen := seenLine(a.Dedup); seen != "" {
		line += ": " + seen
	}
	return line + "\n"
}

// teamSuffix is ", team T" for a rule of team T.
func teamSuffix(team string) string {
	if team == "" {
		return ""
	}
	return ", team " + Clean(team)
}

// seenLine says how many events the alert stands for and when: "3 events, first seen T1,
// last seen T2", or "once, at T" for a single event; empty when the dedup block is empty.
func seenLine(d Dedup) string {
	switch {
	case d.Count > 1:
		return fmt.Sprintf("%d events, first seen %s, last seen %s", d.Count, Clean(d.FirstSeen), Clean(d.LastSeen))
	case d.FirstSeen != "":
		return "once, at " + Clean(d.FirstSeen)
	}
	return ""
}

// telling returns v without what says nothing, and whether anything is left: nil, "", empty
// lists and objects are dropped at every level, and false at the top level (a context flag
// that is off; inside an object, false is a fact about the key that names it).
func telling(v any, top bool) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case string:
		return x, x != ""
	case bool:
		return x, x || !top
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e, ok := telling(e, false); ok {
				out = append(out, e)
			}
		}
		return out, len(out) > 0
	case []string:
		return x, len(x) > 0
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e, ok := telling(e, false); ok {
				out[k] = e
			}
		}
		return out, len(out) > 0
	}
	return v, true
}

// Clean makes an untrusted string safe to print on one line of a terminal: control and
// format characters (ESC, CR, LF, bidi overrides...) are shown as Go escapes.
func Clean(s string) string {
	clean := true
	for _, r := range s {
		if !printable(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if printable(r) {
			b.WriteRune(r)
			continue
		}
		q := fmt.Sprintf("%+q", string(r))
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func printable(r rune) bool {
	return r != unicode.ReplacementChar && unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r)
}
