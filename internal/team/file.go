// Package team owns team rule packs: the team file (teams/<team>/team.yaml) with its schema
// and validation, the namespace rules a team's Rego must follow (package teams.<team>.*, rule
// ids prefixed by the team, data references limited to data.lib.* and the team's own data),
// the team's parameters exposed to Rego as data.teams.<team>.parameters, and the team's
// alert policy: suppressions (owner, reason, expiry) and break-glass principals.
//
// It reads files and validates them; internal/ruleset compiles packs, internal/route delivers
// their alerts.
package team

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FileName is the team file's name inside a team pack directory.
const FileName = "team.yaml"

// File is a team file. Unknown keys are errors, so a typo never silently drops a setting.
// It is written to bundles as JSON (the team's document in the bundle's data.json), so every
// field carries the same name in both tags.
type File struct {
	// Owner is who answers for the pack: a person or a team mailbox. Required.
	Owner string `yaml:"owner" json:"owner"`
	// Description says what the team watches for; optional.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Routes are where the team's alerts go. With none, they go to the default route.
	Routes Routes `yaml:"routes,omitempty" json:"routes,omitzero"`
	// Parameters are exposed to the team's rules as data.teams.<team>.parameters.
	Parameters map[string]any `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	// Disabled lists ids of the team's own rules that are not evaluated.
	Disabled []string `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	// Subscriptions deliver built-in alerts to the team's routes as well.
	Subscriptions Subscriptions `yaml:"subscriptions,omitempty" json:"subscriptions,omitzero"`
	// Suppressions keep matching alerts of the team's rules from being delivered.
	Suppressions []Suppression `yaml:"suppressions,omitempty" json:"suppressions,omitempty"`
	// BreakGlass principals raise the severity of the team's alerts about them; they are
	// never suppressed.
	BreakGlass []BreakGlass `yaml:"break_glass,omitempty" json:"break_glass,omitempty"`
}

// Routes are a team's alert destinations; each one set receives every alert of the team.
type Routes struct {
	SQSQueueURL  string `yaml:"sqs_queue_url,omitempty" json:"sqs_queue_url,omitempty"`
	SNSTopicARN  string `yaml:"sns_topic_arn,omitempty" json:"sns_topic_arn,omitempty"`
	EventBusName string `yaml:"event_bus_name,omitempty" json:"event_bus_name,omitempty"`
	// Third-party destinations. Credentials are Secrets Manager secrets (ARN or name) the
	// function's role may read; each destination may set a minimum severity.
	PagerDutySecret      string `yaml:"pagerduty_secret,omitempty" json:"pagerduty_secret,omitempty"`
	PagerDutyMinSeverity string `yaml:"pagerduty_min_severity,omitempty" json:"pagerduty_min_severity,omitempty"`
	SlackSecret          string `yaml:"slack_secret,omitempty" json:"slack_secret,omitempty"`
	SlackMinSeverity     string `yaml:"slack_min_severity,omitempty" json:"slack_min_severity,omitempty"`
	WebhookURL           string `yaml:"webhook_url,omitempty" json:"webhook_url,omitempty"`
	WebhookSecret        string `yaml:"webhook_secret,omitempty" json:"webhook_secret,omitempty"`
	WebhookMinSeverity   string `yaml:"webhook_min_severity,omitempty" json:"webhook_min_severity,omitempty"`
}

// Empty reports whether no route is set.
func (r Routes) Empty() bool { return r == Routes{} }

// Subscriptions select built-in alerts the team receives too: by rule id, or all at or
// above a severity.
type Subscriptions struct {
	IDs         []string `yaml:"ids,omitempty" json:"ids,omitempty"`
	MinSeverity string   `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`
}

// Suppression keeps alerts of the team's rules that match it from being delivered. Every
// field of Match that is set must match. The suppressed alert is counted (outcome
// suppressed) and logged with the suppression's id, owner and reason.
type Suppression struct {
	ID      string `yaml:"id" json:"id"`
	Match   Match  `yaml:"match" json:"match"`
	Owner   string `yaml:"owner" json:"owner"`
	Reason  string `yaml:"reason" json:"reason"`
	Expires Date   `yaml:"expires" json:"expires"`
}

// Match selects alerts by who called, where and how. ActorARN and UserAgent are exact
// values or globs (* any run of characters, ? one character); ActorARN matches the caller's
// ARN and, for an assumed role, the role's ARN (arn:aws:iam::111122223333:role/ci-*);
// SourceIP is an address or a CIDR; RuleIDs, when set, limit the suppression to those
// rules of the team.
type Match struct {
	ActorARN  string   `yaml:"actor_arn,omitempty" json:"actor_arn,omitempty"`
	Account   string   `yaml:"account,omitempty" json:"account,omitempty"`
	SourceIP  string   `yaml:"source_ip,omitempty" json:"source_ip,omitempty"`
	UserAgent string   `yaml:"user_agent,omitempty" json:"user_agent,omitempty"`
	RuleIDs   []string `yaml:"rule_ids,omitempty" json:"rule_ids,omitempty"`
}

// BreakGlass is a principal whose use must always page: alerts of the team's rules about
// it are raised to Severity (CRITICAL when unset) and never suppressed.
type BreakGlass struct {
	ActorARN string `yaml:"actor_arn" json:"actor_arn"`
	Severity string `yaml:"severity,omitempty" json:"severity,omitempty"`
	Owner    string `yaml:"owner" json:"owner"`
	Reason   string `yaml:"reason" json:"reason"`
}

// Date is a calendar day (2026-12-31), written that way in YAML and JSON. A suppression
// applies through the whole of its expiry day (UTC).
type Date struct{ time.Time }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", b)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes YYYY-MM-DD.
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// ExpiredAt reports whether the day is over at now.
func (d Date) ExpiredAt(now time.Time) bool { return !now.UTC().Before(d.AddDate(0, 0, 1)) }

// Lines maps paths in a team file ("suppressions[0]", "routes.sqs_queue_url") to their
// line, for messages. Files read from a bundle's data.json have none.
type Lines map[string]int

// At formats a position: "file:line" when the path's line is known, else "file".
func (l Lines) At(file, path string) string {
	if n, ok := l[path]; ok {
		return file + ":" + strconv.Itoa(n)
	}
	return file
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)

// Parse reads a team file strictly: unknown keys and wrong types are errors naming the file
// and line. It does not validate values; see Validate.
func Parse(name string, data []byte) (*File, Lines, error) {
	var f File
	lines, err := DecodeStrict(name, data, &f, "team file (owner is required)")
	if err != nil {
		return nil, nil, err
	}
	return &f, lines, nil
}

// DecodeStrict reads YAML (or JSON) data into out strictly, as Parse reads a team file:
// unknown keys and wrong types are errors naming the file and line, and an empty document
// is an error ("empty " + what). It returns the line of every mapping value and sequence
// item (see Lines). Other configuration files (internal/tuning) use it too.
func DecodeStrict(name string, data []byte, out any, what string) (Lines, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty %s", name, what)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		errs := make([]error, 0, len(te.Errors))
		for _, e := range te.Errors {
			if m := yamlLineRE.FindStringSubmatch(e); m != nil {
				msg := yamlTypeRE.ReplaceAllString(m[2], " is not a key of ")
				errs = append(errs, fmt.Errorf("%s:%s: %s", name, m[1], msg))
			} else {
				errs = append(errs, fmt.Errorf("%s: %s", name, e))
			}
		}
		return nil, errors.Join(errs...)
	}
	lines := Lines{}
	collectLines(root.Content[0], "", lines)
	return lines, nil
}

// yamlTypeRE is the Go type yaml names in an unknown-key error ("field x not found in type
// team.File"), replaced by a phrase for people.
var yamlTypeRE = regexp.MustCompile(` not found in type [a-z]+\.`)

// collectLines records the line of every mapping value and sequence item under n.
func collectLines(n *yaml.Node, path string, out Lines) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			out[p] = n.Content[i].Line
			collectLines(n.Content[i+1], p, out)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			out[p] = item.Line
			collectLines(item, p, out)
		}
	}
}
