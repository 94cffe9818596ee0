package sink

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/rule"
)

// Default minimum severities: PagerDuty pages a person, so only HIGH and CRITICAL by default;
// the other destinations take every alert unless told otherwise. The same for the default
// route and a team's (internal/settings documents it for PAGERDUTY_MIN_SEVERITY).
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

// NewDestinationsFromConfig is NewDestinations with a Secrets Manager client made from cfg.
func NewDestinationsFromConfig(cfg aws.Config, pagerDutyURL string) *Destinations {
	return NewDestinations(secretsmanager.NewFromConfig(cfg), pagerDutyURL)
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
	delivery.Sender
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
func atLeast(min string, s delivery.Sender) (delivery.Sender, error) {
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
