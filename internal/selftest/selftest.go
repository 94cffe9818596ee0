// Package selftest is the post-deploy smoke test (detector selftest): it invokes the deployed
// function with a canned alerting event (an access key of a made-up user reactivated by
// another made-up user; the names and event id are new on every run, so neither idempotency
// nor a dedup window folds it away), reads the alert ids from the function's answer, and
// waits for those alerts in the triage queue. It proves the path rules -> function -> sink ->
// queue, and that the function's role may send there; it does not exercise EventBridge
// routing (the function is invoked directly).
package selftest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Invoker runs the deployed function synchronously with payload and returns its answer.
// LambdaInvoker is the real one; the tests run the handler in process instead, since moto
// does not emulate Lambda Invoke.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// QueueAPI is what selftest calls on SQS to find its alerts and leave the rest alone.
type QueueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// LambdaInvoker invokes with the Lambda API (RequestResponse).
type LambdaInvoker struct{ Client *lambda.Client }

func (l LambdaInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	out, err := l.Client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload})
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("the function failed (%s): %s", aws.ToString(out.FunctionError), truncate(string(out.Payload), 500))
	}
	return out.Payload, nil
}

// Options are selftest's settings.
type Options struct {
	Function, Queue, Account string
	Wait                     time.Duration
	Keep                     bool
	Nonce                    string // distinguishes this run's names and event id
	Now                      time.Time
}

// Run invokes the function with the canned event and waits for its alerts.
func Run(ctx context.Context, fn Invoker, q QueueAPI, o Options, stdout, stderr io.Writer) error {
	payload := selftestEvent(o)
	fmt.Fprintf(stderr, "selftest: invoking %s with a canned UpdateAccessKey event (event id trailhound-selftest-%s)\n", o.Function, o.Nonce)
	answer, err := fn.Invoke(ctx, o.Function, payload)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", o.Function, err)
	}
	// The detector function's answer to an EventBridge invocation (its invocation summary).
	var sum struct {
		Outcomes map[string]int64 `json:"outcomes"`
		Alerts   []string         `json:"alerts"`
	}
	if err := json.Unmarshal(answer, &sum); err != nil {
		return fmt.Errorf("the function's answer is not a detector summary (%v): %s", err, truncate(string(answer), 300))
	}
	if len(sum.Alerts) == 0 {
		return fmt.Errorf("the function raised no alert for the canned event (outcomes %v): is the built-in pack loaded, TH-IAM-001 disabled or suppressed?", sum.Outcomes)
	}
	fmt.Fprintf(stderr, "selftest: the function raised %s; waiting up to %s for them in %s\n", strings.Join(sum.Alerts, ", "), o.Wait, o.Queue)
	missing, err := awaitAlerts(ctx, q, o, sum.Alerts)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("alert %s did not arrive in %s within %s (check the function's log and the SinkFailedAlarm)", strings.Join(missing, ", "), o.Queue, o.Wait)
	}
	fmt.Fprintf(stdout, "selftest passed: %s invoked, alert %s delivered to %s\n", o.Function, strings.Join(sum.Alerts, ", "), o.Queue)
	return nil
}

// awaitAlerts receives from the queue until every id has been seen or o.Wait has passed, and
// returns the ids not seen. Its own alerts are deleted (unless o.Keep); any other message is
// made visible again at once, so the queue's consumer gets it without delay. Each receive
// still counts towards the queue's redrive maxReceiveCount.
func awaitAlerts(ctx context.Context, q QueueAPI, o Options, ids []string) ([]string, error) {
	missing := slices.Clone(ids)
	deadline := time.Now().Add(o.Wait)
	for len(missing) > 0 && time.Now().Before(deadline) {
		wait := min(time.Until(deadline), 5*time.Second)
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(o.Queue), MaxNumberOfMessages: 10,
			WaitTimeSeconds: int32(max(wait/time.Second, 1))})
		if err != nil {
			return nil, fmt.Errorf("receive from %s: %w", o.Queue, err)
		}
		for _, m := range out.Messages {
			var a struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &a)
			if i := slices.Index(missing, a.ID); i >= 0 && a.ID != "" {
				missing = slices.Delete(missing, i, i+1)
				if o.Keep {
					continue
				}
				if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(o.Queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return nil, fmt.Errorf("delete the test alert %s: %w", a.ID, err)
				}
				continue
			}
			if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(o.Queue),
				ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				return nil, fmt.Errorf("release a message that is not the test's: %w", err)
			}
		}
	}
	return missing, nil
}

// selftestEvent is the canned EventBridge event: user trailhound-selftest-actor-NONCE
// reactivates an access key of user trailhound-selftest-NONCE in account o.Account.
func selftestEvent(o Options) []byte {
	when := o.Now.Format(time.RFC3339)
	actor := "trailhound-selftest-actor-" + o.Nonce
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDASELFTEST" + strings.ToUpper(o.Nonce),
			"arn": "arn:aws:iam::" + o.Account + ":user/" + actor, "accountId": o.Account,
			"accessKeyId": "AKIASELFTEST" + strings.ToUpper(o.Nonce), "userName": actor},
		"eventTime": when, "eventSource": "iam.amazonaws.com", "eventName": "UpdateAccessKey",
		"awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "userAgent": "trailhound-selftest",
		"requestParameters": map[string]any{"userName": "trailhound-selftest-" + o.Nonce,
			"accessKeyId": "AKIASELFTESTKEY" + strings.ToUpper(o.Nonce[:5]), "status": "Active"},
		"responseElements": nil, "requestID": "trailhound-selftest-" + o.Nonce, "eventID": "trailhound-selftest-" + o.Nonce,
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": o.Account,
		"eventCategory": "Management",
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "trailhound-selftest-" + o.Nonce, "detail-type": "AWS API Call via CloudTrail",
		"source": "aws.iam", "account": o.Account, "time": when, "region": "us-east-1", "resources": []string{}, "detail": rec,
	})
	return b
}

// NewNonce is 10 random hex digits.
func NewNonce() string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand: " + err.Error()))
	}
	return hex.EncodeToString(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
