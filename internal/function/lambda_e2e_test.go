package function

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/testutil"
)

// lambdaEnv is the AWS side of an end-to-end run: moto serving the triage queue, an SNS topic
// read back through an SQS subscription, Security Hub and the idempotency table.
type lambdaEnv struct {
	moto                *testutil.Moto
	sqs                 *sqs.Client
	ddb                 *dynamodb.Client
	hub                 *securityhub.Client
	triageURL, snsQueue string
	topicARN, table     string
}

func newLambdaEnv(t testing.TB) *lambdaEnv {
	t.Helper()
	m := testutil.StartMoto(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &lambdaEnv{moto: m, sqs: sqs.NewFromConfig(cfg), ddb: dynamodb.NewFromConfig(cfg), hub: securityhub.NewFromConfig(cfg), table: "trailhound-state"}
	e.triageURL = e.createQueue(t, "triage")
	e.snsQueue = e.createQueue(t, "sns-readback")
	n := sns.NewFromConfig(cfg)
	topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("trailhound-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	e.topicARN = *topic.TopicArn
	if _, err := n.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:123456789012:sns-readback")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(e.table), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *lambdaEnv) createQueue(t testing.TB, name string) string {
	t.Helper()
	out, err := e.sqs.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.QueueUrl
}

// functionEnv is the function's configuration, as deploy/template.yaml sets it.
func (e *lambdaEnv) functionEnv() map[string]string {
	return map[string]string{
		"ALERT_QUEUE_URL": e.triageURL,
		"ALERT_TOPIC_ARN": e.topicARN,
		"SECURITY_HUB":    "true",
		"STATE_TABLE":     e.table,
		"LOG_LEVEL":       "debug",
	}
}

// receive drains a queue.
func (e *lambdaEnv) receive(t testing.TB, url string) []sqstypes.Message {
	t.Helper()
	var out []sqstypes.Message
	for {
		r, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) == 0 {
			return out
		}
		for _, m := range r.Messages {
			if _, err := e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, r.Messages...)
	}
}

// triageAlerts drains the triage queue and decodes its Alert v1 messages.
func (e *lambdaEnv) triageAlerts(t testing.TB) []alert.Alert {
	t.Helper()
	var out []alert.Alert
	for _, m := range e.receive(t, e.triageURL) {
		var a alert.Alert
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &a); err != nil {
			t.Fatalf("triage message is not an Alert v1: %v", err)
		}
		if aws.ToString(m.MessageAttributes["rule_id"].StringValue) != a.Rule.ID {
			t.Errorf("rule_id attribute %q for rule %s", aws.ToString(m.MessageAttributes["rule_id"].StringValue), a.Rule.ID)
		}
		out = append(out, a)
	}
	return out
}

func (e *lambdaEnv) findingIDs(t testing.TB) []string {
	t.Helper()
	r, err := e.hub.GetFindings(context.Background(), &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, aws.ToString(f.Id))
	}
	return ids
}

// fixture reads a CloudTrail record from testdata/lambda, with the eventID replaced when id is
// not empty, and the target access key when key is not empty (the reactivation rule folds
// events about the same key by the same actor within an hour into one alert).
func fixture(t testing.TB, name, id, key string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/lambda/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if id != "" {
		rec["eventID"] = id
	}
	if key != "" {
		rec["requestParameters"].(map[string]any)["accessKeyId"] = key
	}
	return rec
}

// eventBridgeEvent wraps a record as EventBridge delivers it to a rule target.
func eventBridgeEvent(t testing.TB, rec map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "AWS API Call via CloudTrail",
		"source": "aws.iam", "account": rec["recipientAccountId"], "time": rec["eventTime"], "region": "us-east-1",
		"resources": []string{}, "detail": rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sqsBatchPayload is a Lambda SQS event whose messages have the given bodies.
func sqsBatchPayload(t testing.TB, bodies map[string]string) []byte {
	t.Helper()
	var ev events.SQSEvent
	ids := make([]string, 0, len(bodies))
	for id := range bodies {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: bodies[id],
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:trailhound-ingest", AWSRegion: "us-east-1",
			Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeSummary(t testing.TB, res invokeResult) invocationSummary {
	t.Helper()
	if res.Error {
		t.Fatalf("invocation failed: %s", res.Body)
	}
	var s invocationSummary
	if err := json.Unmarshal(res.Body, &s); err != nil {
		t.Fatalf("response %s: %v", res.Body, err)
	}
	return s
}

func TestLambdaEndToEnd(t *testing.T) {
	testutil.NeedTool(t, "moto_server")
	bin := buildBootstrap(t)
	env := newLambdaEnv(t)
	api := startRuntimeAPI(t)
	fn := startFunction(t, bin, api, env.moto, env.functionEnv())
	const timeout = 5 * time.Minute // waits only as long as the function takes; generous for a busy machine
	reactivated := fixture(t, "updateaccesskey-active-other-user.json", "", "")

	// 1. An EventBridge invocation raises one alert: on the triage queue, in Security Hub and
	// on the SNS topic.
	sum := decodeSummary(t, api.invoke(t, eventBridgeEvent(t, reactivated), timeout))
	if sum.Outcomes["alerted"] != 1 || len(sum.Alerts) != 1 {
		t.Fatalf("first invocation: %+v, want one alert", sum)
	}
	alertID := sum.Alerts[0]
	got := env.triageAlerts(t)
	if len(got) != 1 || got[0].ID != alertID || got[0].Rule.ID != "TH-IAM-001" || got[0].SchemaVersion != "1" ||
		got[0].Target["user_name"] != "bob" || got[0].Event.ID != reactivated["eventID"] {
		t.Fatalf("triage queue: %+v, want the TH-IAM-001 alert %s about bob", got, alertID)
	}
	if ids := env.findingIDs(t); !slices.Equal(ids, []string{alertID}) {
		t.Errorf("Security Hub findings %v, want [%s]", ids, alertID)
	}
	if msgs := env.receive(t, env.snsQueue); len(msgs) != 1 || !strings.Contains(aws.ToString(msgs[0].Body), alertID) {
		t.Errorf("SNS delivered %d notifications, want 1 naming %s", len(msgs), alertID)
	}

	// 2. The same event delivered again (an EventBridge or Lambda retry) raises nothing new.
	sum = decodeSummary(t, api.invoke(t, eventBridgeEvent(t, reactivated), timeout))
	if sum.Outcomes["suppressed"] != 1 || len(sum.Alerts) != 0 {
		t.Fatalf("second invocation: %+v, want suppressed", sum)
	}
	if got := env.triageAlerts(t); len(got) != 0 {
		t.Fatalf("duplicate delivery put %d more alerts on the queue", len(got))
	}
	if ids := env.findingIDs(t); len(ids) != 1 {
		t.Errorf("Security Hub has %d findings after the duplicate, want 1", len(ids))
	}

	// 3. An SQS batch with one bad message reports exactly that message.
	second := fixture(t, "updateaccesskey-active-other-user.json", "2d7e9f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a", "AKIAEXAMPLEBOB000002")
	batch := sqsBatchPayload(t, map[string]string{
		"m-1-alert":    string(eventBridgeEvent(t, second)),
		"m-2-bad":      `{"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": `,
		"m-3-nomatch":  string(eventBridgeEvent(t, fixture(t, "getuser-read-only.json", "", ""))),
		"m-4-raw":      mustJSON(t, fixture(t, "getuser-read-only.json", "3e8f0a4b-5c6d-4e7f-9a8b-9c0d1e2f3a4b", "")),
		"m-5-repeated": string(eventBridgeEvent(t, reactivated)),
	})
	res := api.invoke(t, batch, timeout)
	var resp events.SQSEventResponse
	if res.Error || json.Unmarshal(res.Body, &resp) != nil {
		t.Fatalf("SQS invocation: error %t, body %s", res.Error, res.Body)
	}
	// m-4-raw is a bare record, which AWS never sends: rejected, kept in the DLQ.
	if len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != "m-2-bad" || resp.BatchItemFailures[1].ItemIdentifier != "m-4-raw" {
		t.Fatalf("batchItemFailures %+v, want m-2-bad and m-4-raw", resp.BatchItemFailures)
	}
	if got := env.triageAlerts(t); len(got) != 1 || got[0].Event.ID != second["eventID"] {
		t.Fatalf("SQS batch alerts %+v, want one for the second event", got)
	}

	// 4. A sink that fails: the triage queue is gone. The EventBridge invocation fails (so
	// Lambda retries it) and the idempotency claim is released; once the queue is back, the
	// retry raises the alert.
	third := fixture(t, "updateaccesskey-active-other-user.json", "4f9a1b5c-6d7e-4f8a-8b9c-0d1e2f3a4b5c", "AKIAEXAMPLEBOB000003")
	if _, err := env.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(env.triageURL)}); err != nil {
		t.Fatal(err)
	}
	res = api.invoke(t, eventBridgeEvent(t, third), timeout)
	if !res.Error {
		t.Fatalf("invocation with a failing sink succeeded: %s", res.Body)
	}
	batchRes := api.invoke(t, sqsBatchPayload(t, map[string]string{"m-6": string(eventBridgeEvent(t, third))}), timeout)
	if err := json.Unmarshal(batchRes.Body, &resp); err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m-6" {
		t.Fatalf("SQS message with a failing sink: %s, want it in batchItemFailures", batchRes.Body)
	}
	env.createQueue(t, "triage")
	sum = decodeSummary(t, api.invoke(t, eventBridgeEvent(t, third), timeout))
	if sum.Outcomes["alerted"] != 1 {
		t.Fatalf("retry after the sink recovered: %+v, want alerted", sum)
	}
	if got := env.triageAlerts(t); len(got) != 1 || got[0].Event.ID != third["eventID"] {
		t.Fatalf("retry delivered %+v", got)
	}

	// Logs are JSON, name events by id, and never carry a whole event (the fixture's user
	// agent is a marker that only the event holds). Metrics are EMF lines.
	fn.stop()
	t.Logf("peak RSS of the function: %.1f MiB", float64(fn.peakRSS())/(1<<20))
	logs := fn.stderr.String()
	if strings.Contains(logs, "lambda-e2e-marker-7f3a") || strings.Contains(logs, "AKIAEXAMPLEALICE0001") {
		t.Errorf("the log carries event content:\n%s", logs)
	}
	for _, line := range fn.logLines() {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
	if !strings.Contains(logs, `"msg":"init done"`) || !strings.Contains(logs, `"version":"detector `) {
		t.Errorf("the init log does not carry the version:\n%s", logs)
	}
	if !strings.Contains(logs, `"event_id":"`+reactivated["eventID"].(string)+`"`) || !strings.Contains(logs, alertID) {
		t.Errorf("the log does not name the event and alert ids:\n%s", logs)
	}
	if !strings.Contains(fn.stdout.String(), `"Namespace":"trailhound"`) || !strings.Contains(fn.stdout.String(), `"sink_failed":1`) {
		t.Errorf("EMF metrics missing from stdout:\n%s", fn.stdout.String())
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
