package function

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/trailhound/trailhound/internal/ocsf/ocsfschema"
	"github.com/trailhound/trailhound/internal/sink/sinktest"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestLambdaDestinationsEndToEnd runs the real bootstrap under the test Runtime API with moto
// behind it (SQS triage queue, DynamoDB state, Secrets Manager holding the three credentials,
// Firehose delivering to S3) and local PagerDuty, Slack and webhook receivers that enforce
// each service's payload rules:
//
//  1. one event gives one page, one Slack message, one signed webhook and one OCSF finding;
//  2. the same event delivered again pages nobody and posts nothing (idempotency);
//  3. a destination that keeps failing (Slack answering 503 with Retry-After) fails the
//     invocation after its retries while the others deliver; the Lambda retry re-sends to
//     Slack alone: PagerDuty is not triggered again, the webhook not posted again, the triage
//     queue not sent again (internal/delivery).
func TestLambdaDestinationsEndToEnd(t *testing.T) {
	testutil.NeedTool(t, "moto_server")
	schema, class := ocsfschema.DetectionFinding(t)
	bin := buildBootstrap(t)
	env := newLambdaEnv(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}

	pd := sinktest.NewPagerDuty(t, "R0UTING-KEY-1")
	sl := sinktest.NewSlack(t, "/services/T000/B000/secret")
	wh := sinktest.NewWebhook(t, "signing-key-1")
	sm := secretsmanager.NewFromConfig(cfg)
	arns := map[string]string{}
	for name, value := range map[string]string{
		"trailhound/pagerduty": `{"routing_key":"R0UTING-KEY-1"}`,
		"trailhound/slack":     sl.URL("/services/T000/B000/secret"),
		"trailhound/webhook":   "signing-key-1",
	} {
		out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
		if err != nil {
			t.Fatal(err)
		}
		arns[name] = aws.ToString(out.ARN)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lake")}); err != nil {
		t.Fatal(err)
	}
	if _, err := firehose.NewFromConfig(cfg).CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String("trailhound-findings"), DeliveryStreamType: fhtypes.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::lake"), RoleARN: aws.String("arn:aws:iam::123456789012:role/firehose"), Prefix: aws.String("ocsf/"),
		},
	}); err != nil {
		t.Fatal(err)
	}

	fenv := map[string]string{
		"ALERT_QUEUE_URL":       env.triageURL,
		"STATE_TABLE":           env.table,
		"LOG_LEVEL":             "debug",
		"PAGERDUTY_SECRET":      arns["trailhound/pagerduty"],
		"PAGERDUTY_EVENTS_URL":  pd.URL("/v2/enqueue"),
		"SLACK_SECRET":          "trailhound/slack", // by name
		"WEBHOOK_URL":           wh.URL("/trailhound"),
		"WEBHOOK_SECRET":        arns["trailhound/webhook"],
		"ALERT_FIREHOSE_STREAM": "trailhound-findings",
	}
	api := startRuntimeAPI(t)
	fn := startFunction(t, bin, api, env.moto, fenv)
	const timeout = 5 * time.Minute // waits only as long as the function takes; generous for a busy machine

	// 1. One event: one page, one message, one signed webhook, one finding.
	first := fixture(t, "updateaccesskey-active-other-user.json", "", "")
	sum := decodeSummary(t, api.invoke(t, eventBridgeEvent(t, first), timeout))
	if sum.Outcomes["alerted"] != 1 || len(sum.Alerts) != 1 {
		t.Fatalf("first invocation: %+v\n%s", sum, fn.stderr.String())
	}
	id := sum.Alerts[0]
	if pd.Pages() != 1 || pd.Triggers(id) != 1 {
		t.Errorf("pagerduty: %d pages, %d triggers for %s; want 1 and 1", pd.Pages(), pd.Triggers(id), id)
	}
	if n := len(sl.Accepted()); n != 1 {
		t.Errorf("slack: %d messages, want 1", n)
	}
	if wh.Deliveries(id) != 1 {
		t.Errorf("webhook: %d verified deliveries of %s, want 1", wh.Deliveries(id), id)
	}
	if got := env.triageAlerts(t); len(got) != 1 || got[0].ID != id {
		t.Errorf("triage queue: %d alerts", len(got))
	}
	findings := lakeFindings(t, s3c)
	if len(findings) != 1 {
		t.Fatalf("firehose: %d findings in S3, want 1", len(findings))
	}
	for _, err := range class.Validate(schema, findings[0]) {
		t.Errorf("finding in the lake fails OCSF: %v", err)
	}

	// 2. The same event again (an EventBridge or Lambda retry): nothing is sent anywhere.
	sum = decodeSummary(t, api.invoke(t, eventBridgeEvent(t, first), timeout))
	if sum.Outcomes["suppressed"] != 1 || len(sum.Alerts) != 0 {
		t.Fatalf("repeated delivery: %+v, want suppressed", sum)
	}
	if pd.Requests() != 1 || pd.Pages() != 1 || len(sl.Accepted()) != 1 || wh.Requests() != 1 {
		t.Errorf("repeated delivery reached a destination: pagerduty %d requests, slack %d, webhook %d", pd.Requests(), len(sl.Accepted()), wh.Requests())
	}

	// 3. Slack keeps failing: 503 with Retry-After for every attempt of the first invocation.
	second := fixture(t, "updateaccesskey-active-other-user.json", "5a0b2c6d-7e8f-4a9b-8c0d-1e2f3a4b5c6d", "AKIAEXAMPLEBOB000009")
	slackBefore := sl.Requests()
	sl.FailNext(sinktest.Failure{Status: 503, RetryAfter: "1"}, sinktest.Failure{Status: 503, RetryAfter: "1"},
		sinktest.Failure{Status: 503, RetryAfter: "1"}, sinktest.Failure{Status: 503, RetryAfter: "1"}, sinktest.Failure{Status: 503, RetryAfter: "1"})
	res := api.invoke(t, eventBridgeEvent(t, second), timeout)
	if !res.Error {
		t.Fatalf("invocation with Slack failing succeeded: %s", res.Body)
	}
	if n := sl.Requests() - slackBefore; n != 5 {
		t.Errorf("slack: %d attempts, want 5 (the retry policy)", n)
	}
	var secondID string
	for _, raw := range pd.Accepted()[1:] {
		var ev struct {
			DedupKey string `json:"dedup_key"`
		}
		_ = json.Unmarshal(raw, &ev)
		secondID = ev.DedupKey
	}
	if secondID == "" || secondID == id {
		t.Fatalf("the other destinations did not get the second alert (pagerduty accepted %d events)", len(pd.Accepted()))
	}
	if wh.Deliveries(secondID) != 1 || len(env.triageAlerts(t)) != 1 {
		t.Errorf("the destinations that work did not get the second alert once: webhook %d", wh.Deliveries(secondID))
	}
	// Lambda retries the event: Slack alone gets it now.
	pdBefore, whBefore := pd.Requests(), wh.Requests()
	sum = decodeSummary(t, api.invoke(t, eventBridgeEvent(t, second), timeout))
	if sum.Outcomes["alerted"] != 1 {
		t.Fatalf("retry: %+v", sum)
	}
	if n := len(sl.Accepted()); n != 2 {
		t.Errorf("slack: %d messages after the retry, want 2", n)
	}
	if pd.Requests() != pdBefore || pd.Triggers(secondID) != 1 || pd.Pages() != 2 {
		t.Errorf("pagerduty: the retry sent %d more events (%d triggers of %s): only the failed destination is retried", pd.Requests()-pdBefore, pd.Triggers(secondID), secondID)
	}
	if wh.Requests() != whBefore || wh.Deliveries(secondID) != 1 {
		t.Errorf("webhook: the retry posted %d more times", wh.Requests()-whBefore)
	}
	if got := env.triageAlerts(t); len(got) != 0 {
		t.Errorf("triage queue: the retry sent %d more alerts", len(got))
	}
	fn.stop()
	if logs := fn.stderr.String(); containsAny(logs, "R0UTING-KEY-1", "signing-key-1", "/services/T000/B000/secret") {
		t.Errorf("the log carries a credential:\n%s", logs)
	}
}

// lakeFindings reads every line of every object the Firehose stream delivered.
func lakeFindings(t *testing.T, c *s3.Client) [][]byte {
	t.Helper()
	ctx := context.Background()
	objs, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("ocsf/")})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, o := range objs.Contents {
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("lake"), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(got.Body)
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("%s: %v", aws.ToString(o.Key), err)
			}
			out = append(out, raw)
		}
		got.Body.Close()
	}
	return out
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
