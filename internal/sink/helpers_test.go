package sink

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

// testAlert is an Alert v1 as the builder produces it for an UpdateAccessKey event.
func testAlert(id string) *alert.Alert {
	return &alert.Alert{
		SchemaVersion: alert.SchemaVersion,
		ID:            id,
		CreatedAt:     time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC),
		Severity:      "HIGH",
		Title:         "Access key reactivated for another user",
		Summary:       "alice set access key AKIAEXAMPLEBOB000001 of bob to Active.",
		Rule: alert.Rule{ID: "TH-IAM-001", Title: "Access key reactivated for another user", Version: "1", Team: "builtin",
			Severity: "HIGH", Attack: []string{"TA0003:T1098.001"}, Compliance: map[string][]string{},
			References: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"}},
		Event: alert.Event{ID: "11111111-2222-3333-4444-555555555555", Name: "UpdateAccessKey", Source: "iam.amazonaws.com",
			Time: "2024-05-01T12:00:00Z", Account: "111122223333", Region: "us-east-1", SourceIP: "203.0.113.7",
			UserAgent: "aws-cli/2.15.0"},
		Actor:   alert.Actor{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", Name: "alice", Account: "111122223333"},
		Target:  map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOB000001"},
		Context: map[string]any{},
		Remediation: alert.Remediation{
			Summary:     "Deactivate the key again unless bob's owner confirms the change.",
			Containment: []alert.Step{{Title: "Deactivate the key", CLI: []string{"aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLEBOB000001 --status Inactive"}}},
		},
		Runbook: []string{"Ask bob whether the key is in use."},
		Dedup:   alert.Dedup{Key: id, Count: 1},
		Links:   alert.Links{CloudTrailConsole: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/11111111-2222-3333-4444-555555555555"},
	}
}

// motoConfig starts moto_server for the test and returns an SDK configuration pointed at it,
// with the sinks' retry policy, loaded as the function loads it (awsenv).
func motoConfig(t *testing.T) aws.Config {
	t.Helper()
	testutil.StartMoto(t)
	cfg, err := awsenv.Load(os.Getenv, awsenv.Options{Retryer: Retryer})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// createQueue creates an SQS queue and returns its URL and ARN.
func createQueue(t *testing.T, c *sqs.Client, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	in := &sqs.CreateQueueInput{QueueName: aws.String(name)}
	if len(name) > 5 && name[len(name)-5:] == ".fifo" {
		in.Attributes = map[string]string{"FifoQueue": "true"}
	}
	out, err := c.CreateQueue(ctx, in)
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	return *out.QueueUrl, attrs.Attributes["QueueArn"]
}

// drain receives every message on the queue (until a receive comes back empty).
func drain(t *testing.T, c *sqs.Client, url string) []sqstypes.Message {
	t.Helper()
	var out []sqstypes.Message
	for {
		r, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(r.Messages) == 0 {
			return out
		}
		out = append(out, r.Messages...)
	}
}

// decodeAlert parses an Alert v1 document.
func decodeAlert(t *testing.T, s string) alert.Alert {
	t.Helper()
	var a alert.Alert
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		t.Fatalf("alert JSON: %v\n%s", err, s)
	}
	return a
}

// fromEnv is what the Lambda does with its environment: settings.LoadDestinations, then
// FromSettings.
func fromEnv(cfg aws.Config, env map[string]string) (*Multi, error) {
	d, err := settings.LoadDestinations(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	return FromSettings(cfg, d)
}
