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

// Text renders the alert for a person reading a terminal, an e-mail or an SNS message. Every
// value from the event is passed through Clean, so terminal escape sequences and forged line
// breaks in attacker-controlled fields are shown, not obeyed.
func Text(a *Alert) string {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("[%s] %s (%s)\n", a.Severity, Clean(a.Title), a.Rule.ID)
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
	p("          id %s, from %s, agent %s\n", Clean(a.Event.ID), Clean(a.Event.SourceIP), Clean(a.Event.UserAgent))
	if a.Event.ErrorCode != "" {
		p("          error %s: %s\n", Clean(a.Event.ErrorCode), Clean(a.Event.ErrorMessage))
	}
	p("  actor:  %s %s", Clean(a.Actor.Type), Clean(a.Actor.ARN))
	if a.Actor.SessionIssuer != "" {
		p(" (session issuer %s)", Clean(a.Actor.SessionIssuer))
	}
	p(", MFA %t\n", a.Actor.MFAAuthenticated)
	if len(a.Target) > 0 {
		var parts []string
		for _, k := range sortedKeys(a.Target) {
			parts = append(parts, k+"="+Clean(a.Target[k]))
		}
		p("  target: %s\n", strings.Join(parts, " "))
	}
	if len(a.Context) > 0 {
		for _, k := range sortedKeys(a.Context) {
			v, _ := json.Marshal(a.Context[k])
			p("  context %s: %s\n", Clean(k), Clean(string(v)))
		}
	}
	if len(a.Rule.Attack) > 0 {
		p("  ATT&CK: %s\n", strings.Join(a.Rule.Attack, ", "))
	}
	p("  remediation: %s\n", Clean(a.Remediation.Summary))
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
		p("  link:   %s\n", a.Links.CloudTrailConsole)
	}
	p("  id:     %s\n", a.ID)
	return b.String()
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
