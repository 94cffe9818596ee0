package function

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/selftest"
	"github.com/trailhound/trailhound/internal/testutil"
)

// handlerInvoker stands in for Lambda Invoke, which moto does not emulate: it runs the real
// handler, built from the function's environment, in process and returns its answer as the
// Lambda runtime would serialise it.
type handlerInvoker struct{ h *lambdaHandler }

func (i handlerInvoker) Invoke(ctx context.Context, _ string, payload []byte) ([]byte, error) {
	resp, err := i.h.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// TestSelftest runs `detector selftest`'s checks against moto's SQS with the real handler
// behind the invoke step: the canned event raises an alert, the alert is found in the triage
// queue and deleted, a message of another consumer is left visible, a second run raises a new
// alert (not folded by idempotency or dedup), and an alert that never reaches the queue fails
// the test.
func TestSelftest(t *testing.T) {
	testutil.NeedTool(t, "aws")
	testutil.StartMoto(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	triage := awsCLI(t, "sqs", "create-queue", "--queue-name", "triage")["QueueUrl"].(string)
	elsewhere := awsCLI(t, "sqs", "create-queue", "--queue-name", "elsewhere")["QueueUrl"].(string)
	awsCLI(t, "sqs", "send-message", "--queue-url", triage, "--message-body", `{"schema_version":"1","id":"someone-elses-alert"}`)

	handler := func(queue string) selftest.Invoker {
		vars := map[string]string{"ALERT_QUEUE_URL": queue}
		h, err := newLambdaHandler(ctx, func(k string) string { return vars[k] }, obs.NewLogger(&bytes.Buffer{}, 0), &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		return handlerInvoker{h}
	}
	opts := func(wait time.Duration) selftest.Options {
		return selftest.Options{Function: "trailhound-detector", Queue: triage, Account: "123456789012", Wait: wait, Nonce: selftest.NewNonce(), Now: time.Now().UTC()}
	}
	fn := handler(triage)
	for run := range 2 {
		var out, errw bytes.Buffer
		if err := selftest.Run(ctx, fn, q, opts(2*time.Minute), &out, &errw); err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, errw.String())
		}
		if !strings.Contains(out.String(), "selftest passed") || !strings.Contains(errw.String(), "waiting up to") {
			t.Errorf("run %d: stdout %q stderr %q", run, out.String(), errw.String())
		}
	}
	// The test alerts are gone; the other consumer's message is still there, visible.
	attrs := awsCLI(t, "sqs", "get-queue-attributes", "--queue-url", triage, "--attribute-names", "All")["Attributes"].(map[string]any)
	if attrs["ApproximateNumberOfMessages"] != "1" || attrs["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("triage queue after selftest: %v, want only the other message, visible", attrs)
	}
	m := awsCLI(t, "sqs", "receive-message", "--queue-url", triage)["Messages"].([]any)[0].(map[string]any)
	if !strings.Contains(m["Body"].(string), "someone-elses-alert") {
		t.Errorf("left in the queue: %v", m["Body"])
	}

	// A function whose alerts go to another queue: the alert never arrives, selftest fails.
	o := opts(2 * time.Second)
	err = selftest.Run(ctx, handler(elsewhere), q, o, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "did not arrive in "+triage) {
		t.Fatalf("alert delivered elsewhere: %v", err)
	}
	r, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(elsewhere), MaxNumberOfMessages: 10})
	if err != nil || len(r.Messages) != 1 {
		t.Fatalf("elsewhere: %v, %v", r, err)
	}
	var a struct {
		Event struct{ ID string } `json:"event"`
	}
	_ = json.Unmarshal([]byte(aws.ToString(r.Messages[0].Body)), &a)
	if a.Event.ID != "trailhound-selftest-"+o.Nonce {
		t.Errorf("the canned alert's event id %q, want trailhound-selftest-%s", a.Event.ID, o.Nonce)
	}
}
