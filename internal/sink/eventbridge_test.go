package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/alert"
)

func TestEventBridgePutsAlertEvents(t *testing.T) {
	cfg := motoConfig(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(cfg)
	eb := eventbridge.NewFromConfig(cfg)
	url, arn := createQueue(t, q, "soar")
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("soar")}); err != nil {
		t.Fatal(err)
	}
	// The rule a SOAR consumer would write: only HIGH trailhound alerts.
	pattern := fmt.Sprintf(`{"source":[%q],"detail-type":[%q],"detail":{"severity":["HIGH"]}}`, EventSource, EventDetailType)
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("high"), EventBusName: aws.String("soar"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("high"), EventBusName: aws.String("soar"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(arn)}}}); err != nil {
		t.Fatal(err)
	}
	var alerts []*alert.Alert
	for i := range 11 {
		alerts = append(alerts, testAlert(fmt.Sprintf("%032x", 100+i)))
	}
	alerts[10].Severity = "LOW" // filtered out by the rule
	if err := NewEventBridge(eb, "soar").Send(ctx, alerts); err != nil {
		t.Fatalf("put events: %v", err)
	}
	msgs := drain(t, q, url)
	if len(msgs) != 10 {
		t.Fatalf("got %d events on the queue, want 10", len(msgs))
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		var ev struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
			t.Fatal(err)
		}
		a := decodeAlert(t, string(ev.Detail))
		if ev.Source != EventSource || ev.DetailType != EventDetailType || a.SchemaVersion != "1" || a.Rule.ID != "TH-IAM-001" {
			t.Errorf("event source %q detail-type %q alert %+v", ev.Source, ev.DetailType, a.Rule)
		}
		seen[a.ID] = true
	}
	if len(seen) != 10 || seen[alerts[10].ID] {
		t.Errorf("delivered alert ids %v", seen)
	}
}

func TestEventBridgeMissingBusFailsSend(t *testing.T) {
	cfg := motoConfig(t)
	err := NewEventBridge(eventbridge.NewFromConfig(cfg), "no-such-bus").Send(context.Background(), []*alert.Alert{testAlert(strings.Repeat("4", 32))})
	if err == nil || !strings.Contains(err.Error(), strings.Repeat("4", 32)) {
		t.Fatalf("put to a missing bus: got %v, want an error naming the alert", err)
	}
}
