package sink

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
)

// Environment variables that configure the third-party destinations and the Firehose stream
// of the default route (docs/ARCHITECTURE.md, Configuration). Secrets are named (ARN or name), never
// given as values.
const (
	EnvPagerDutySecret      = "PAGERDUTY_SECRET"       // secret holding the Events API v2 routing key
	EnvPagerDutyEventsURL   = "PAGERDUTY_EVENTS_URL"   // endpoint override (tests)
	EnvPagerDutyMinSeverity = "PAGERDUTY_MIN_SEVERITY" // default HIGH
	EnvSlackSecret          = "SLACK_SECRET"           // secret holding the incoming-webhook URL
	EnvSlackMinSeverity     = "SLACK_MIN_SEVERITY"     // default: every alert
	EnvWebhookURL           = "WEBHOOK_URL"
	EnvWebhookSecret        = "WEBHOOK_SECRET" // secret holding the HMAC signing key
	EnvWebhookMinSeverity   = "WEBHOOK_MIN_SEVERITY"
	EnvFirehoseStream       = "ALERT_FIREHOSE_STREAM" // OCSF Detection Findings
)

// Default minimum severities: PagerDuty pages a person, so only HIGH and CRITICAL by default;
// the other destinations take every alert unless told otherwise.
const DefaultPagerDutyMinSeverity = "HIGH"

// JSON keys a secret stored as a JSON object holds the credential under.
const (
	pagerDutySecretField = "routing_key"
	slackSecretField     = "webhook_url"
	webhookSecretField   = "signing_key"
)

// DestinationConfig names one route's third-party destinations: the default route's from the
// environment, a team's from its team file.
type DestinationConfig struct {
	PagerDutySecret      string
	PagerDutyMinSeverity string
	SlackSecret          string
	SlackMinSeverity     string
	WebhookURL           string
	WebhookSecret        string
	WebhookMinSeverity   string
}

// Empty reports whether no destination is named.
func (c DestinationConfig) Empty() bool { return c == DestinationConfig{} }

// DestinationConfigFromEnv reads the default route's destinations from the environment.
func DestinationConfigFromEnv(getenv func(string) string) DestinationConfig {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	return DestinationConfig{
		PagerDutySecret: get(EnvPagerDutySecret), PagerDutyMinSeverity: get(EnvPagerDutyMinSeverity),
		SlackSecret: get(EnvSlackSecret), SlackMinSeverity: get(EnvSlackMinSeverity),
		WebhookURL: get(EnvWebhookURL), WebhookSecret: get(EnvWebhookSecret), WebhookMinSeverity: get(EnvWebhookMinSeverity),
	}
}

// Destinations opens the third-party destinations of routes, sharing one Secrets Manager
// client and one cached Credential per secret between them (a secret named by the default
// route and by a team is read once per container). It is safe for concurrent use.
type Destinations struct {
	client       secretsAPI
	pagerDutyURL string

	mu      sync.Mutex
	secrets map[string]*Secret
}

// NewDestinations returns an opener reading secrets with client and posting PagerDuty events
// to pagerDutyURL ("" for PagerDutyEventsURL).
func NewDestinations(client secretsAPI, pagerDutyURL string) *Destinations {
	return &Destinations{client: client, pagerDutyURL: pagerDutyURL, secrets: map[string]*Secret{}}
}

// NewDestinationsFromConfig is NewDestinations with a Secrets Manager client made from cfg
// and PAGERDUTY_EVENTS_URL from the environment.
func NewDestinationsFromConfig(cfg aws.Config, getenv func(string) string) *Destinations {
	return NewDestinations(secretsmanager.NewFromConfig(cfg), strings.TrimSpace(getenv(EnvPagerDutyEventsURL)))
}

func (d *Destinations) secret(id, field string) (*Secret, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key := id + "\x00" + field
	if s, ok := d.secrets[key]; ok {
		return s, nil
	}
	s, err := NewSecret(d.client, id, field)
	if err != nil {
		return nil, err
	}
	d.secrets[key] = s
	return s, nil
}

// Open returns the sinks c names, each behind its minimum severity: "pagerduty", "slack",
// "webhook".
func (d *Destinations) Open(c DestinationConfig) ([]Named, error) {
	var out []Named
	if c.PagerDutySecret != "" {
		key, err := d.secret(c.PagerDutySecret, pagerDutySecretField)
		if err != nil {
			return nil, fmt.Errorf("pagerduty: %w", err)
		}
		pd, err := NewPagerDuty(d.pagerDutyURL, key)
		if err != nil {
			return nil, err
		}
		min := c.PagerDutyMinSeverity
		if min == "" {
			min = DefaultPagerDutyMinSeverity
		}
		s, err := atLeast(min, pd)
		if err != nil {
			return nil, fmt.Errorf("pagerduty minimum severity: %w", err)
		}
		out = append(out, Named{"pagerduty", s})
	} else if c.PagerDutyMinSeverity != "" {
		return nil, fmt.Errorf("a PagerDuty minimum severity without a PagerDuty secret")
	}
	if c.SlackSecret != "" {
		u, err := d.secret(c.SlackSecret, slackSecretField)
		if err != nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		s, err := atLeast(c.SlackMinSeverity, NewSlack(u))
		if err != nil {
			return nil, fmt.Errorf("slack minimum severity: %w", err)
		}
		out = append(out, Named{"slack", s})
	} else if c.SlackMinSeverity != "" {
		return nil, fmt.Errorf("a Slack minimum severity without a Slack secret")
	}
	switch {
	case c.WebhookURL != "" && c.WebhookSecret != "":
		key, err := d.secret(c.WebhookSecret, webhookSecretField)
		if err != nil {
			return nil, fmt.Errorf("webhook: %w", err)
		}
		wh, err := NewWebhook(c.WebhookURL, key)
		if err != nil {
			return nil, err
		}
		s, err := atLeast(c.WebhookMinSeverity, wh)
		if err != nil {
			return nil, fmt.Errorf("webhook minimum severity: %w", err)
		}
		out = append(out, Named{"webhook", s})
	case c.WebhookURL != "":
		return nil, fmt.Errorf("a webhook URL needs a webhook secret (its HMAC signing key): unsigned webhooks are not sent")
	case c.WebhookSecret != "" || c.WebhookMinSeverity != "":
		return nil, fmt.Errorf("a webhook secret or minimum severity without a webhook URL")
	}
	return out, nil
}

// MinSeverity passes on only the alerts at or above Min.
type MinSeverity struct {
	Min rule.Severity
	Sender
}

// Send delivers the alerts at or above Min; it drops the others (they are delivered to the
// route's other destinations).
func (m MinSeverity) Send(ctx context.Context, alerts []*alert.Alert) error {
	var keep []*alert.Alert
	for _, a := range alerts {
		// An alert whose severity does not parse is delivered: better a page too many than
		// a missed one.
		if sev, err := rule.ParseSeverity(a.Severity); err != nil || sev >= m.Min {
			keep = append(keep, a)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return m.Sender.Send(ctx, keep)
}

// atLeast wraps s in a MinSeverity filter when min is set.
func atLeast(min string, s Sender) (Sender, error) {
	if min == "" {
		return s, nil
	}
	sev, err := rule.ParseSeverity(min)
	if err != nil {
		return nil, err
	}
	if sev == rule.Informational {
		return s, nil
	}
	return MinSeverity{Min: sev, Sender: s}, nil
}

// firehoseFromEnv opens the Firehose sink ALERT_FIREHOSE_STREAM names.
func firehoseFromEnv(cfg aws.Config, getenv func(string) string) (*Firehose, error) {
	name := strings.TrimSpace(getenv(EnvFirehoseStream))
	if name == "" {
		return nil, nil
	}
	return NewFirehose(firehose.NewFromConfig(cfg), name)
}
