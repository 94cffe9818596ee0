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
func defanged(a *alert.Alert) *alert.Alert { return a.MapEventText(defang) }
