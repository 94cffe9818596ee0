//go:build !lambda

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// selftest is the post-deploy smoke test: it invokes the deployed function with a canned
// alerting event (an access key of a made-up user reactivated by another made-up user; the
// names and event id are new on every run, so neither idempotency nor a dedup window folds it
// away), reads the alert ids from the function's answer, and waits for those alerts in the
// triage queue. It proves the path rules -> function -> sink -> queue, and that the
// function's role may send there; it does not exercise EventBridge routing (the function is
// invoked directly).

func init() { commands["selftest"] = cmdSelftest }

// invoker runs the deployed function synchronously with payload and returns its answer.
// lambdaInvoker is the real one; the tests run the handler in process instead, since moto
// does not emulate Lambda Invoke.
type invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// queueAPI is what selftest calls on SQS to find its alerts and leave the rest alone.
type queueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// lambdaInvoker invokes with the Lambda API (RequestResponse).
type lambdaInvoker struct{ c *lambda.Client }

func (l lambdaInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	out, err := l.c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(function), Payload: payload})
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("the function failed (%s): %s", aws.ToString(out.FunctionError), truncate(string(out.Payload), 500))
	}
	return out.Payload, nil
}

// selftestOptions are selftest's settings.
type selftestOptions struct {
	function, queue, account string
	wait                     time.Duration
	keep                     bool
	nonce                    string // distinguishes this run's names and event id
	now                      time.Time
}

func cmdSelftest(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("selftest", s, "selftest --function NAME --queue URL [--region R] [--wait 60s] [--keep]")
	var o selftestOptions
	var region string
	fs.StringVar(&o.function, "function", "", "the deployed detector function: name or ARN (the stack's FunctionArn output)")
	fs.StringVar(&o.queue, "queue", "", "the triage queue URL the alert must reach (the stack's TriageQueueUrl output)")
	fs.StringVar(&region, "region", "us-east-1", "region of the function and queue")
	fs.DurationVar(&o.wait, "wait", time.Minute, "how long to wait for the alert in the queue")
	fs.BoolVar(&o.keep, "keep", false, "leave the test alert in the queue (by default selftest deletes it once found)")
	if rest, err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	} else if len(rest) > 0 {
		return exitUsage, usagef("selftest takes no arguments")
	}
	if o.function == "" || o.queue == "" {
		return exitUsage, usagef("selftest needs --function and --queue (the stack's FunctionArn and TriageQueueUrl outputs)")
	}
	if o.wait <= 0 {
		return exitUsage, usagef("--wait must be positive")
	}
	cfg, err := cliAWSConfig(ctx, region)
	if err != nil {
		return exitUsage, fmt.Errorf("load AWS configuration: %w", err)
	}
	if region != "" {
		cfg.Region = region
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return exitUsage, fmt.Errorf("AWS credentials: %w", err)
	}
	o.account = aws.ToString(who.Account)
	o.nonce, o.now = newNonce(), time.Now().UTC()
	if err := runSelftest(ctx, lambdaInvoker{lambda.NewFromConfig(cfg)}, sqs.NewFromConfig(cfg), o, s); err != nil {
		return exitAlert, err
	}
	return exitOK, nil
}

// runSelftest invokes the function with the canned event and waits for its alerts.
func runSelftest(ctx context.Context, fn invoker, q queueAPI, o selftestOptions, s stdio) error {
	payload := selftestEvent(o)
	fmt.Fprintf(s.err, "selftest: invoking %s with a canned UpdateAccessKey event (event id trailhound-selftest-%s)\n", o.function, o.nonce)
	answer, err := fn.Invoke(ctx, o.function, payload)
	if err != nil {
		return fmt.Errorf("invoke %s: %w", o.function, err)
	}
	var sum invocationSummary
	if err := json.Unmarshal(answer, &sum); err != nil {
		return fmt.Errorf("the function's answer is not a detector summary (%v): %s", err, truncate(string(answer), 300))
	}
	if len(sum.Alerts) == 0 {
		return fmt.Errorf("the function raised no alert for the canned event (outcomes %v): is the built-in pack loaded, TH-IAM-001 disabled or suppressed?", sum.Outcomes)
	}
	fmt.Fprintf(s.err, "selftest: the function raised %s; waiting up to %s for them in %s\n", strings.Join(sum.Alerts, ", "), o.wait, o.queue)
	missing, err := awaitAlerts(ctx, q, o, sum.Alerts)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("alert %s did not arrive in %s within %s (check the function's log and the SinkFailedAlarm)", strings.Join(missing, ", "), o.queue, o.wait)
	}
	fmt.Fprintf(s.out, "selftest passed: %s invoked, alert %s delivered to %s\n", o.function, strings.Join(sum.Alerts, ", "), o.queue)
	return nil
}

// awaitAlerts receives from the queue until every id has been seen or o.wait has passed, and
// returns the ids not seen. Its own alerts are deleted (unless o.keep); any other message is
// made visible again at once, so the queue's consumer gets it without delay. Each receive
// still counts towards the queue's redrive maxReceiveCount.
func awaitAlerts(ctx context.Context, q queueAPI, o selftestOptions, ids []string) ([]string, error) {
	missing := slices.Clone(ids)
	deadline := time.Now().Add(o.wait)
	for len(missing) > 0 && time.Now().Before(deadline) {
		wait := min(time.Until(deadline), 5*time.Second)
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(o.queue), MaxNumberOfMessages: 10,
			WaitTimeSeconds: int32(max(wait/time.Second, 1))})
		if err != nil {
			return nil, fmt.Errorf("receive from %s: %w", o.queue, err)
		}
		for _, m := range out.Messages {
			var a struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(m.Body)), &a)
			if i := slices.Index(missing, a.ID); i >= 0 && a.ID != "" {
				missing = slices.Delete(missing, i, i+1)
				if o.keep {
					continue
				}
				if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(o.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return nil, fmt.Errorf("delete the test alert %s: %w", a.ID, err)
				}
				continue
			}
			if _, err := q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(o.queue),
				ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				return nil, fmt.Errorf("release a message that is not the test's: %w", err)
			}
		}
	}
	return missing, nil
}

// selftestEvent is the canned EventBridge event: user trailhound-selftest-actor-NONCE
// reactivates an access key of user trailhound-selftest-NONCE in account o.account.
func selftestEvent(o selftestOptions) []byte {
	when := o.now.Format(time.RFC3339)
	actor := "trailhound-selftest-actor-" + o.nonce
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDASELFTEST" + strings.ToUpper(o.nonce),
			"arn": "arn:aws:iam::" + o.account + ":user/" + actor, "accountId": o.account,
			"accessKeyId": "AKIASELFTEST" + strings.ToUpper(o.nonce), "userName": actor},
		"eventTime": when, "eventSource": "iam.amazonaws.com", "eventName": "UpdateAccessKey",
		"awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.1", "userAgent": "trailhound-selftest",
		"requestParameters": map[string]any{"userName": "trailhound-selftest-" + o.nonce,
			"accessKeyId": "AKIASELFTESTKEY" + strings.ToUpper(o.nonce[:5]), "status": "Active"},
		"responseElements": nil, "requestID": "trailhound-selftest-" + o.nonce, "eventID": "trailhound-selftest-" + o.nonce,
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": o.account,
		"eventCategory": "Management",
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "trailhound-selftest-" + o.nonce, "detail-type": "AWS API Call via CloudTrail",
		"source": "aws.iam", "account": o.account, "time": when, "region": "us-east-1", "resources": []string{}, "detail": rec,
	})
	return b
}

// newNonce is 10 random hex digits.
func newNonce() string {
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
