package sink

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/settings"
)

func TestFromSettingsDestinations(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	env := map[string]string{
		settings.PagerDutySecret.Name: "trailhound/pagerduty",
		settings.SlackSecret.Name:     "arn:aws:secretsmanager:us-east-1:111122223333:secret:slack-AbCdEf",
		settings.WebhookURL.Name:      "https://soar.example.com/hooks/trailhound",
		settings.WebhookSecret.Name:   "trailhound/webhook",
		settings.FirehoseStream.Name:  "trailhound-findings",
	}
	m, err := fromEnv(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Names(); !slices.Equal(got, []string{"firehose", "pagerduty", "slack", "webhook"}) {
		t.Errorf("sinks %v", got)
	}
	if ms, ok := m.Sinks[1].Sender.(MinSeverity); !ok || ms.Min != rule.High {
		t.Errorf("pagerduty is not behind the default minimum severity HIGH: %#v", m.Sinks[1].Sender)
	}
	bad := map[string]map[string]string{
		"plain routing key":          {settings.PagerDutySecret.Name: "R0UTING KEY WITH SPACES"},
		"unsigned webhook":           {settings.WebhookURL.Name: "https://soar.example.com/x"},
		"secret without url":         {settings.WebhookSecret.Name: "k"},
		"http webhook":               {settings.WebhookURL.Name: "http://soar.example.com/x", settings.WebhookSecret.Name: "k"},
		"bad min severity":           {settings.SlackSecret.Name: "s", settings.SlackMinSeverity.Name: "URGENT"},
		"min severity, no secret":    {settings.PagerDutyMinSeverity.Name: "LOW"},
		"firehose arn":               {settings.FirehoseStream.Name: "arn:aws:firehose:us-east-1:1:deliverystream/x"},
		"pagerduty url not https":    {settings.PagerDutySecret.Name: "pd", settings.PagerDutyEventsURL.Name: "http://events.example.com/v2/enqueue"},
		"secret arn of another kind": {settings.SlackSecret.Name: "arn:aws:ssm:us-east-1:111122223333:parameter/slack"},
	}
	for name, env := range bad {
		if _, err := fromEnv(cfg, env); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

type recordSender struct{ got []string }

func (r *recordSender) Send(_ context.Context, alerts []*alert.Alert) error {
	for _, a := range alerts {
		r.got = append(r.got, a.Severity)
	}
	return nil
}

func TestMinSeverity(t *testing.T) {
	rec := &recordSender{}
	s, err := atLeast("high", rec)
	if err != nil {
		t.Fatal(err)
	}
	var alerts []*alert.Alert
	for _, sev := range []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "BOGUS"} {
		a := testAlert(sev)
		a.Severity = sev
		alerts = append(alerts, a)
	}
	if err := s.Send(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rec.got, ",") != "HIGH,CRITICAL,BOGUS" {
		t.Errorf("passed %v, want HIGH, CRITICAL and the unparseable one", rec.got)
	}
	rec.got = nil
	if err := s.Send(context.Background(), alerts[:2]); err != nil || rec.got != nil {
		t.Errorf("below the minimum: sent %v, %v", rec.got, err)
	}
}
