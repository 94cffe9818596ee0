package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/event"
)

// PagerDuty Events API v2.
const (
	// PagerDutyEventsURL is the Events API v2 endpoint (PAGERDUTY_EVENTS_URL overrides it).
	PagerDutyEventsURL = "https://events.pagerduty.com/v2/enqueue"
	pdMaxSummary       = 1024      // payload.summary, characters
	pdMaxEvent         = 512 << 10 // the whole event, bytes
	pdMaxField         = 255       // source, component, group, class: kept short for PagerDuty's UI
)

// PagerDuty triggers a PagerDuty incident per alert through the Events API v2: event_action
// "trigger", dedup_key = the alert id (so a retry or a redelivered event adds to the open
// incident instead of paging again), payload.severity from the alert's severity, the alert
// itself as custom_details (trimmed to fit PagerDuty's 512 KB event limit), and links to the
// event in the CloudTrail console and the rule's references. The routing key is a Credential.
type PagerDuty struct {
	url     *url.URL
	key     Credential
	client  *http.Client
	backoff Backoff
}

// NewPagerDuty returns a sink posting to eventsURL ("" for PagerDutyEventsURL) with the
// routing key in key.
func NewPagerDuty(eventsURL string, key Credential) (*PagerDuty, error) {
	if eventsURL == "" {
		eventsURL = PagerDutyEventsURL
	}
	u, err := checkURL(eventsURL)
	if err != nil {
		return nil, fmt.Errorf("PagerDuty events URL: %w", err)
	}
	return &PagerDuty{url: u, key: key, client: newHTTPClient(), backoff: HTTPBackoff}, nil
}

// Send triggers one event per alert.
func (p *PagerDuty) Send(ctx context.Context, alerts []*alert.Alert) error {
	return sendEach(alerts, "pagerduty", func(a *alert.Alert) error {
		return withCredential(ctx, p.key, func(key string) error {
			body, err := pagerDutyEvent(a, key)
			if err != nil {
				return err
			}
			return post(ctx, p.client, p.backoff, func(ctx context.Context) (*http.Request, error) {
				return newJSONRequest(ctx, p.url, body)
			})
		})
	})
}

// pdEvent is an Events API v2 event.
type pdEvent struct {
	RoutingKey  string    `json:"routing_key"`
	EventAction string    `json:"event_action"`
	DedupKey    string    `json:"dedup_key"`
	Payload     pdPayload `json:"payload"`
	Client      string    `json:"client,omitempty"`
	ClientURL   string    `json:"client_url,omitempty"`
	Links       []pdLink  `json:"links,omitempty"`
}

type pdPayload struct {
	Summary       string `json:"summary"`
	Source        string `json:"source"`
	Severity      string `json:"severity"`
	Timestamp     string `json:"timestamp,omitempty"`
	Component     string `json:"component,omitempty"`
	Group         string `json:"group,omitempty"`
	Class         string `json:"class,omitempty"`
	CustomDetails any    `json:"custom_details,omitempty"`
}

type pdLink struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// pdSeverities maps Alert v1 severities to PagerDuty's four.
var pdSeverities = map[string]string{
	"CRITICAL": "critical", "HIGH": "error", "MEDIUM": "warning", "LOW": "info", "INFORMATIONAL": "info",
}

// pagerDutySeverity maps a severity; an unknown one pages as "error" rather than being lost.
func pagerDutySeverity(s string) string {
	if v, ok := pdSeverities[s]; ok {
		return v
	}
	return "error"
}

// pagerDutyEvent renders the alert as an Events API v2 trigger.
func pagerDutyEvent(a *alert.Alert, routingKey string) ([]byte, error) {
	ts := a.CreatedAt.UTC()
	if t, err := event.ParseTime(a.Event.Time); err == nil {
		ts = t.UTC()
	}
	source := "aws"
	if a.Event.Account != "" {
		source = fmt.Sprintf("aws account %s %s", cleanLine(a.Event.Account), cleanLine(a.Event.Region))
	}
	ev := pdEvent{
		RoutingKey:  routingKey,
		EventAction: "trigger",
		DedupKey:    a.ID,
		Payload: pdPayload{
			Summary:   truncateRunes(fmt.Sprintf("[%s] %s: %s", a.Severity, cleanLine(a.Title), cleanLine(a.Summary)), pdMaxSummary),
			Source:    truncateRunes(source, pdMaxField),
			Severity:  pagerDutySeverity(a.Severity),
			Timestamp: ts.Format(time.RFC3339),
			Component: truncateRunes(cleanLine(a.Event.Source), pdMaxField),
			Group:     truncateRunes(cleanLine(a.Rule.Team), pdMaxField),
			Class:     truncateRunes(cleanLine(a.Rule.ID), pdMaxField),
		},
		Client: "trailhound",
	}
	if u := safeURL(a.Links.CloudTrailConsole); u != "" {
		ev.ClientURL = u
		ev.Links = append(ev.Links, pdLink{Href: u, Text: "Event in the CloudTrail console"})
	}
	for _, r := range append(append([]string(nil), a.Remediation.References...), a.Rule.References...) {
		if u := safeURL(r); u != "" && len(ev.Links) < 5 {
			ev.Links = append(ev.Links, pdLink{Href: u, Text: "Runbook reference: " + truncateRunes(cleanLine(a.Rule.Title), 200)})
		}
	}
	for _, details := range pagerDutyDetails(a) {
		ev.Payload.CustomDetails = details
		b, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode PagerDuty event for alert %s: %w", a.ID, err)
		}
		if len(b) <= pdMaxEvent {
			return b, nil
		}
	}
	return nil, fmt.Errorf("PagerDuty event for alert %s does not fit %d bytes even without details", a.ID, pdMaxEvent)
}

// pagerDutyDetails are the custom_details to try, largest first: the whole alert, then the
// alert without its enrichment context and remediation steps, then its identifying fields.
func pagerDutyDetails(a *alert.Alert) []any {
	full := *a
	lean := a.Trimmed("the enrichment context did not fit PagerDuty's event size limit; the full alert is in the triage queue")
	minimal := map[string]any{
		"alert_id": a.ID, "rule_id": a.Rule.ID, "severity": a.Severity,
		"event_id": truncateRunes(a.Event.ID, 200), "event_name": truncateRunes(a.Event.Name, 200),
		"account": truncateRunes(a.Event.Account, 200), "actor_arn": truncateRunes(a.Actor.ARN, 2048),
		"trimmed": "the alert did not fit PagerDuty's event size limit; the full alert is in the triage queue",
	}
	return []any{&full, lean, minimal}
}

// sendEach delivers each alert with send and returns a delivery.AlertError for each one that
// failed, so the others count as delivered (internal/delivery).
func sendEach(alerts []*alert.Alert, dest string, send func(*alert.Alert) error) error {
	var failed []error
	for _, a := range alerts {
		if err := send(a); err != nil {
			failed = append(failed, &delivery.AlertError{AlertID: a.ID, Err: err})
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w", dest, errors.Join(failed...))
}
