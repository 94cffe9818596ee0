package sink

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/settings"
)

func TestFromSettingsAndMultiFanOut(t *testing.T) {
	cfg := motoConfig(t)
	c := sqs.NewFromConfig(cfg)
	url, _ := createQueue(t, c, "fanout")
	env := map[string]string{
		settings.QueueURL.Name:    url,
		settings.SecurityHub.Name: "true",
		settings.TopicARN.Name:    "arn:aws:sns:us-east-1:123456789012:missing-topic", // fails
	}
	m, err := fromEnv(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Names(), ","); got != "sqs,securityhub,sns" {
		t.Fatalf("sinks %q", got)
	}
	a := testAlert(strings.Repeat("7", 32))
	err = m.Send(context.Background(), []*alert.Alert{a})
	if err == nil || !strings.Contains(err.Error(), "sink sns") || strings.Contains(err.Error(), "sink sqs") || strings.Contains(err.Error(), "sink securityhub") {
		t.Fatalf("got %v, want an error from the sns sink only", err)
	}
	if msgs := drain(t, c, url); len(msgs) != 1 {
		t.Errorf("the SQS sink delivered %d messages despite the SNS failure, want 1", len(msgs))
	}
}

func TestFromSettingsRejectsBadValues(t *testing.T) {
	cfg := motoConfig(t)
	for name, env := range map[string]map[string]string{
		"queue":       {settings.QueueURL.Name: "triage"},
		"topic":       {settings.TopicARN.Name: "alerts"},
		"securityhub": {settings.SecurityHub.Name: "maybe"},
	} {
		if _, err := fromEnv(cfg, env); err == nil {
			t.Errorf("%s: bad value accepted", name)
		}
	}
	m, err := fromEnv(cfg, nil)
	if err != nil || len(m.Sinks) != 0 {
		t.Errorf("empty environment: %v, %d sinks", err, len(m.Sinks))
	}
}
