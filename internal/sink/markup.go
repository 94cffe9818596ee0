package sink

import (
	"regexp"
	"strings"

	"github.com/trailhound/trailhound/internal/alert"
)

// Neutralising attacker-controlled text for renderers that read markup. Security Hub
// findings (ASFF Title, Description, Remediation text) and SNS notifications are shown by
// consoles, ticketing integrations and chat tools that render HTML or Markdown, and event
// fields (user agent, error message, names) are written by whoever made the call.
//
//   - markupSafe, over the whole text: '<' and '>' become the look-alikes '‹' and '›', so
//     no HTML tag or <autolink> can form, and a Markdown link or image ("](", "![") is broken
//     by a space. The text stays readable as plain text; the trusted parts lose nothing
//     (rule text and commands carry no tags or link syntax).
//   - defang, over the event's own values only: http:// and https:// become hxxp:// and
//     hxxps://, so a URL an attacker put in a field is not a link; the detector's own links
//     (the CloudTrail console, rule references) stay clickable.

var (
	markupReplacer = strings.NewReplacer("<", "‹", ">", "›", "](", "] (", "![", "! [")
	urlScheme      = regexp.MustCompile(`(?i)\b(h)tt(ps?)://`)
)

func markupSafe(s string) string { return markupReplacer.Replace(s) }

func defang(s string) string { return urlScheme.ReplaceAllString(s, "${1}xx${2}://") }

// defanged returns a copy of a with the values that come from the event (its summary,
// event, actor, target and context, and the prose of its remediation) defanged; the rule's
// commands are left as they are (their values are shell-quoted, and IAM names cannot hold a
// URL).
func defanged(a *alert.Alert) *alert.Alert {
	c := *a
	c.Summary = defang(a.Summary)
	e := a.Event
	for _, f := range []*string{&e.ID, &e.Name, &e.Source, &e.Time, &e.Account, &e.Region, &e.SourceIP, &e.UserAgent, &e.ErrorCode, &e.ErrorMessage} {
		*f = defang(*f)
	}
	c.Event = e
	ac := a.Actor
	for _, f := range []*string{&ac.Type, &ac.ARN, &ac.Name, &ac.Account, &ac.AccessKeyID, &ac.SessionIssuer, &ac.InvokedBy} {
		*f = defang(*f)
	}
	c.Actor = ac
	if a.Target != nil {
		c.Target = make(map[string]string, len(a.Target))
		for k, v := range a.Target {
			c.Target[k] = defang(v)
		}
	}
	if a.Context != nil {
		c.Context = defangValue(a.Context).(map[string]any)
	}
	r := a.Remediation
	r.Summary = defang(r.Summary)
	r.Containment, r.Steps, r.Backout = defangSteps(r.Containment), defangSteps(r.Steps), defangSteps(r.Backout)
	c.Remediation = r
	return &c
}

func defangSteps(in []alert.Step) []alert.Step {
	out := make([]alert.Step, len(in))
	for i, s := range in {
		s.Title = defang(s.Title)
		console := make([]string, len(s.Console))
		for j, t := range s.Console {
			console[j] = defang(t)
		}
		s.Console = console
		out[i] = s
	}
	return out
}

func defangValue(v any) any {
	switch x := v.(type) {
	case string:
		return defang(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = defangValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = defangValue(e)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = defang(e)
		}
		return out
	}
	return v
}
