package function

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestLambdaDeliveryPerAlertAndDestination: a team routes its alerts to a queue that does
// not exist. The event raises a built-in alert (default route) and a team alert (the missing
// queue). The built-in alert reaches the triage queue once; the team alert's failure is
// counted and named on its own; the message is retried (batchItemFailures), and each retry
// re-sends only the team alert. Once the queue exists, the retry delivers the team alert and
// the message succeeds, and the triage queue still holds one copy of the built-in alert.
func TestLambdaDeliveryPerAlertAndDestination(t *testing.T) {
	env := newLambdaEnv(t)
	missing := strings.Replace(env.triageURL, "/triage", "/payments-alerts", 1)
	root := testutil.TeamPacks(t, func(s string) string {
		return regexp.MustCompile(`(?m)^  sqs_queue_url: .*\n  sns_topic_arn: .*$`).ReplaceAllString(s, "  sqs_queue_url: "+missing)
	})
	vars := map[string]string{
		"ALERT_QUEUE_URL":         env.triageURL,
		"STATE_TABLE":             env.table,
		"ENRICH":                  "false",
		settings.TeamsConfig.Name: root + "/payments",
	}
	var logs, metrics syncBuffer
	h, err := newLambdaHandler(context.Background(), func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &metrics)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(testutil.ServiceKeyCreated), &rec); err != nil {
		t.Fatal(err)
	}
	payload := sqsBatchPayload(t, map[string]string{"m1": string(eventBridgeEvent(t, rec))})
	invoke := func() events.SQSEventResponse {
		t.Helper()
		resp, err := h.Handle(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		return resp.(events.SQSEventResponse)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if r := invoke(); len(r.BatchItemFailures) != 1 || r.BatchItemFailures[0].ItemIdentifier != "m1" {
			t.Fatalf("attempt %d: batch item failures %+v, want m1 retried", attempt, r.BatchItemFailures)
		}
		got := ruleIDsOf(env.triageAlerts(t))
		want := []string{"TH-IAM-003"}
		if attempt > 1 {
			want = nil // a retry does not re-send what was delivered
		}
		if !slices.Equal(got, want) {
			t.Fatalf("attempt %d: triage queue got %v, want %v", attempt, got, want)
		}
	}
	l := logs.String()
	if !regexp.MustCompile(`alert [0-9a-f]+ \(rule PAYMENTS-001\) not delivered: route payments: sink sqs: `).MatchString(l) {
		t.Fatalf("the team alert's failure is not reported on its own:\n%s", l)
	}
	if strings.Contains(l, "(rule TH-IAM-003) not delivered") {
		t.Fatalf("the built-in alert is reported as failed:\n%s", l)
	}
	if m := metrics.String(); !strings.Contains(m, `"alert_delivery_failed":1`) {
		t.Fatalf("no alert_delivery_failed metric:\n%s", m)
	}

	env.createQueue(t, "payments-alerts")
	if r := invoke(); len(r.BatchItemFailures) != 0 {
		t.Fatalf("after the queue exists: batch item failures %+v", r.BatchItemFailures)
	}
	var pay []alert.Alert
	for _, m := range env.receive(t, missing) {
		var a alert.Alert
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &a); err != nil {
			t.Fatal(err)
		}
		pay = append(pay, a)
	}
	if got := ruleIDsOf(pay); !slices.Equal(got, []string{"PAYMENTS-001"}) {
		t.Fatalf("payments queue got %v", got)
	}
	if got := env.triageAlerts(t); len(got) != 0 {
		t.Fatalf("the built-in alert was sent again: %v", ruleIDsOf(got))
	}
	// Delivered everywhere: a further redelivery raises nothing.
	if r := invoke(); len(r.BatchItemFailures) != 0 || len(env.triageAlerts(t)) != 0 || len(env.receive(t, missing)) != 0 {
		t.Fatal("a duplicate of a delivered event was sent again")
	}
}

// TestLambdaBatchBudgetsFailingSink: the triage queue's endpoint accepts connections and never
// answers. In a batch of 10, the 3 messages that raise alerts spend at most their share of
// the invocation's time on it (SDK retries included), and the 7 others are still processed
// before the deadline: exactly the 3 are reported in batchItemFailures.
func TestLambdaBatchBudgetsFailingSink(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL": srv.URL,
	} {
		t.Setenv(k, v)
	}
	vars := map[string]string{"ALERT_QUEUE_URL": srv.URL + "/123456789012/triage", "ENRICH": "false"}
	var logs, metrics syncBuffer
	h, err := newLambdaHandler(context.Background(), func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &metrics)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for i := 1; i <= 10; i++ {
		var rec map[string]any
		if err := json.Unmarshal([]byte(testutil.ServiceKeyCreated), &rec); err != nil {
			t.Fatal(err)
		}
		rec["eventID"] = fmt.Sprintf("7a6b5c4d-3e2f-4a1b-9c8d-%012d", i)
		if i > 3 {
			rec["eventName"] = "ListUsers" // no rule: never reaches the sink
		}
		bodies[fmt.Sprintf("m%02d", i)] = string(eventBridgeEvent(t, rec))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	resp, err := h.Handle(ctx, sqsBatchPayload(t, bodies))
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.(events.SQSEventResponse).BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if !slices.Equal(failed, []string{"m01", "m02", "m03"}) {
		t.Fatalf("batch item failures %v, want the 3 messages whose alerts could not be sent\n%s", failed, logs.String())
	}
	if ctx.Err() != nil {
		t.Fatal("the batch used the whole invocation")
	}
}

// TestLambdaStateUnavailableFailsOpen: DynamoDB does not answer (its endpoint is a closed
// port; SQS is moto). Delivery fails open (SECURITY.md): the alert reaches the triage queue
// within the invocation, the invocation succeeds, and the alert is counted under
// state_unavailable.
func TestLambdaStateUnavailableFailsOpen(t *testing.T) {
	env := newLambdaEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", closed)
	vars := map[string]string{"ALERT_QUEUE_URL": env.triageURL, "STATE_TABLE": env.table, "ENRICH": "false"}
	var logs, metrics syncBuffer
	h, err := newLambdaHandler(context.Background(), func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &metrics)
	if err != nil {
		t.Fatal(err)
	}
	if h.stateTimeout != lambdaStateTimeout || lambdaStateTimeout <= 0 {
		t.Fatalf("state calls are not bounded: %v", h.stateTimeout)
	}
	h.stateTimeout = 300 * time.Millisecond // the bound, shortened for the test
	var rec map[string]any
	if err := json.Unmarshal([]byte(testutil.ServiceKeyCreated), &rec); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := h.Handle(ctx, eventBridgeEvent(t, rec)); err != nil {
		t.Fatalf("invocation failed with DynamoDB down: %v\n%s", err, logs.String())
	}
	if got := ruleIDsOf(env.triageAlerts(t)); !slices.Equal(got, []string{"TH-IAM-003"}) {
		t.Fatalf("triage queue got %v, want the alert delivered without state", got)
	}
	if m := metrics.String(); !regexp.MustCompile(`"state_unavailable":[1-9]`).MatchString(m) {
		t.Fatalf("no state_unavailable metric:\n%s", m)
	}
	if l := logs.String(); !strings.Contains(l, "delivering it anyway (state_unavailable)") {
		t.Fatalf("fail-open not logged:\n%s", l)
	}
}
