package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/trailhound/trailhound/internal/alert"
)

// Slack Block Kit limits (characters) the messages keep within.
const (
	slackMaxText        = 3000 // a section's text, and the message's fallback text here
	slackMaxHeader      = 150  // a header block's plain_text
	slackMaxField       = 2000 // one section field
	slackMaxButton      = 75   // a button's text
	slackMaxURL         = 3000 // a button's url
	slackMaxContextElem = 10   // elements of a context block
	slackMaxBlocks      = 50
)

// slackHosts are the hosts a Slack incoming-webhook URL may name.
var slackHosts = []string{"hooks.slack.com", "hooks.slack-gov.com"}

// Slack posts each alert to a Slack incoming webhook as a Block Kit message: severity and
// title, the one-sentence summary, actor and target, the first containment command, a button
// to the event in the CloudTrail console and the alert id. Every value from the event is
// escaped for Slack's mrkdwn (&, <, >), so an event field can never ping @channel, mention a
// user or forge a link. The webhook URL is a Credential (it is the secret).
type Slack struct {
	url     Credential
	client  *http.Client
	backoff Backoff
}

// NewSlack returns a sink posting to the incoming-webhook URL held in webhookURL.
func NewSlack(webhookURL Credential) *Slack {
	return &Slack{url: webhookURL, client: newHTTPClient(), backoff: HTTPBackoff}
}

// Send posts one message per alert.
func (s *Slack) Send(ctx context.Context, alerts []*alert.Alert) error {
	return sendEach(alerts, "slack", func(a *alert.Alert) error {
		body, err := json.Marshal(slackMessage(a))
		if err != nil {
			return fmt.Errorf("encode Slack message for alert %s: %w", a.ID, err)
		}
		return withCredential(ctx, s.url, func(raw string) error {
			u, err := checkURL(raw, slackHosts...)
			if err != nil {
				return fmt.Errorf("Slack webhook URL from the secret: %w", err)
			}
			return post(ctx, s.client, s.backoff, func(ctx context.Context) (*http.Request, error) {
				return newJSONRequest(ctx, u, body)
			})
		})
	})
}

// slackEscape escapes untrusted text for mrkdwn: Slack reads <...> as links, mentions and
// @channel/@here commands, and & starts an entity. The result is also one clean line per
// input line (alert.Clean).
func slackEscape(s string) string {
	s = alert.Clean(s)
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackPlain cleans untrusted text for a plain_text object (no mrkdwn parsing there; Slack
// still decodes entities, so the three are escaped as well).
func slackPlain(s string, n int) string {
	return truncateEscaped(slackEscape(s), n)
}

// truncateEscaped cuts escaped text to n characters without splitting an entity.
func truncateEscaped(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, '&'); i >= 0 && !strings.Contains(cut[i:], ";") {
		cut = cut[:i]
	}
	return cut + "…"
}

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
	// Verbatim stops Slack from auto-linking URLs and channel names and parsing mentions in
	// mrkdwn text it did not get as <...> (which escaping already rules out).
	Verbatim bool `json:"verbatim,omitempty"`
}

// md is a mrkdwn text object, verbatim.
func md(text string) slackText { return slackText{Type: "mrkdwn", Text: text, Verbatim: true} }

type slackBlock struct {
	Type     string       `json:"type"`
	Text     *slackText   `json:"text,omitempty"`
	Fields   []slackText  `json:"fields,omitempty"`
	Elements []any        `json:"elements,omitempty"`
	BlockID  string       `json:"block_id,omitempty"`
	Button   *slackButton `json:"accessory,omitempty"`
}

type slackButton struct {
	Type     string    `json:"type"`
	Text     slackText `json:"text"`
	URL      string    `json:"url"`
	ActionID string    `json:"action_id"`
}

type slackPayload struct {
	Text        string       `json:"text"`
	Blocks      []slackBlock `json:"blocks"`
	UnfurlLinks bool         `json:"unfurl_links"`
	UnfurlMedia bool         `json:"unfurl_media"`
}

// slackEmoji marks the severity.
var slackEmoji = map[string]string{
	"CRITICAL": ":red_circle:", "HIGH": ":large_orange_circle:", "MEDIUM": ":large_yellow_circle:",
	"LOW": ":large_blue_circle:", "INFORMATIONAL": ":white_circle:",
}

// slackMessage renders the alert as a Block Kit message within Slack's limits.
func slackMessage(a *alert.Alert) slackPayload {
	sev := slackEscape(a.Severity)
	header := slackPlain(fmt.Sprintf("[%s] %s", a.Severity, a.Title), slackMaxHeader)
	summary := truncateEscaped(slackEscape(a.Summary), slackMaxText)
	actor := a.Actor.ARN
	if actor == "" {
		actor = a.Actor.Name
	}
	fields := []slackText{
		md(truncateEscaped("*Severity*\n"+slackEmoji[a.Severity]+" "+sev, slackMaxField)),
		md(truncateEscaped("*Rule*\n"+slackEscape(a.Rule.ID+" "+a.Rule.Title), slackMaxField)),
		md(truncateEscaped("*Actor*\n"+slackEscape(orDash(actor)), slackMaxField)),
		md(truncateEscaped("*Target*\n"+slackEscape(orDash(slackTarget(a.Target))), slackMaxField)),
		md(truncateEscaped("*Event*\n"+slackEscape(fmt.Sprintf("%s %s at %s, account %s, %s", a.Event.Source, a.Event.Name, a.Event.Time, a.Event.Account, a.Event.Region)), slackMaxField)),
		md(truncateEscaped("*Alert id*\n"+slackEscape(a.ID), slackMaxField)),
	}
	blocks := []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: header}},
		{Type: "section", Text: ptr(md(summary))},
		{Type: "section", Fields: fields},
	}
	if step, cmd := firstContainment(a); step != "" {
		text := "*First containment step:* " + slackEscape(step)
		if cmd != "" {
			text += "\n```" + slackEscape(cmd) + "```"
		}
		if len([]rune(text)) > slackMaxText {
			text = truncateEscaped("*First containment step:* "+slackEscape(step), slackMaxText-40) + "\n(command too long for Slack: see the alert)"
		}
		blocks = append(blocks, slackBlock{Type: "section", Text: ptr(md(text))})
	}
	if u := safeURL(a.Links.CloudTrailConsole); u != "" && len(u) <= slackMaxURL {
		blocks = append(blocks, slackBlock{Type: "actions", Elements: []any{slackButton{
			Type: "button", Text: slackText{Type: "plain_text", Text: "Open in CloudTrail"}, URL: u, ActionID: "cloudtrail_console",
		}}})
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: []any{
		md(truncateEscaped("trailhound alert "+slackEscape(a.ID)+" · rule "+slackEscape(a.Rule.ID), slackMaxField)),
	}})
	return slackPayload{
		Text:   truncateEscaped(fmt.Sprintf("[%s] %s: %s", sev, slackEscape(a.Title), slackEscape(a.Summary)), slackMaxText),
		Blocks: blocks,
	}
}

// firstContainment returns the first containment step's title and its first command.
func firstContainment(a *alert.Alert) (title, cmd string) {
	for _, s := range a.Remediation.Containment {
		if len(s.CLI) > 0 {
			return s.Title, s.CLI[0]
		}
		if title == "" {
			title = s.Title
		}
	}
	return title, ""
}

// slackTarget lists the target's values, user and key first.
func slackTarget(t map[string]string) string {
	var parts []string
	for _, k := range []string{"user_name", "access_key_id"} {
		if v := t[k]; v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	keys := make([]string, 0, len(t))
	for k := range t {
		if k != "user_name" && k != "access_key_id" && t[k] != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+t[k])
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ptr[T any](v T) *T { return &v }
