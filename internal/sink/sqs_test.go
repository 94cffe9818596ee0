package sink

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

func TestSQSStandardQueue(t *testing.T) {
	cfg := motoConfig(t)
	c := sqs.NewFromConfig(cfg)
	url, _ := createQueue(t, c, "triage")
	// 12 alerts: two batches. One carries characters SQS rejects unescaped (U+FFFF) and a
	// terminal escape in its user agent.
	var alerts []*alert.Alert
	for i := range 12 {
		alerts = append(alerts, testAlert(fmt.Sprintf("%032x", i+1)))
	}
	alerts[3].Event.UserAgent = "evil\uffff\x1b[2J\ufffeagent"
	alerts[4].Rule.Team = ""
	if err := NewSQS(c, url).Send(context.Background(), alerts); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := drain(t, c, url)
	if len(msgs) != len(alerts) {
		t.Fatalf("got %d messages, want %d", len(msgs), len(alerts))
	}
	byID := map[string]alert.Alert{}
	for _, m := range msgs {
		a := decodeAlert(t, aws.ToString(m.Body))
		byID[a.ID] = a
		if got := aws.ToString(m.MessageAttributes["severity"].StringValue); got != "HIGH" {
			t.Errorf("severity attribute %q", got)
		}
		if got := aws.ToString(m.MessageAttributes["rule_id"].StringValue); got != "TH-IAM-001" {
			t.Errorf("rule_id attribute %q", got)
		}
		team, hasTeam := m.MessageAttributes["team"]
		if a.ID == alerts[4].ID {
			if hasTeam {
				t.Errorf("alert without a team has team attribute %q", aws.ToString(team.StringValue))
			}
		} else if aws.ToString(team.StringValue) != "builtin" {
			t.Errorf("team attribute %q", aws.ToString(team.StringValue))
		}
	}
	if got := byID[alerts[3].ID].Event.UserAgent; got != alerts[3].Event.UserAgent {
		t.Errorf("user agent round trip: got %q want %q", got, alerts[3].Event.UserAgent)
	}
	if len(byID) != len(alerts) {
		t.Errorf("got %d distinct alerts, want %d", len(byID), len(alerts))
	}
}

func TestSQSFIFODeduplicatesByAlertID(t *testing.T) {
	cfg := motoConfig(t)
	c := sqs.NewFromConfig(cfg)
	url, _ := createQueue(t, c, "triage.fifo")
	s := NewSQS(c, url)
	a, b := testAlert(strings.Repeat("a", 32)), testAlert(strings.Repeat("b", 32))
	b.Actor.ARN = "arn:aws:sts::111122223333:assumed-role/" + strings.Repeat("r", 120) + "/session"
	ctx := context.Background()
	if err := s.Send(ctx, []*alert.Alert{a, b}); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := s.Send(ctx, []*alert.Alert{a}); err != nil { // a redelivered event
		t.Fatalf("resend: %v", err)
	}
	update := testAlert(a.ID) // a dedup update: same alert, a later event folded in
	update.Dedup.Count = 2
	if err := s.Send(ctx, []*alert.Alert{update}); err != nil {
		t.Fatalf("send update: %v", err)
	}
	var msgs []string
	for {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"MessageGroupId", "MessageDeduplicationId"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Messages) == 0 {
			break
		}
		for _, m := range r.Messages {
			got := decodeAlert(t, aws.ToString(m.Body))
			group := m.Attributes["MessageGroupId"]
			msgs = append(msgs, got.ID+" "+group+" "+m.Attributes["MessageDeduplicationId"])
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]bool{
		a.ID + " " + a.Actor.ARN + " " + a.ID:        true,
		a.ID + " " + a.Actor.ARN + " " + a.ID + "-2": true,
		b.ID + " " + groupID(b) + " " + b.ID:         true,
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages %v, want 3 (the resend deduplicated, the update kept)", len(msgs), msgs)
	}
	for _, m := range msgs {
		if !want[m] {
			t.Errorf("unexpected message (id group dedup) %q; want one of %v", m, want)
		}
	}
	if g := groupID(b); len(g) > 128 || !strings.HasPrefix(g, "actor-") {
		t.Errorf("long ARN group id %q", g)
	}
}

// TestSQSOversizedAlertFailsAlone: an alert over the SQS limit fails on its own; the
// alerts sent with it are delivered (a team alert too large for SQS used to keep the
// built-in alert of the same event out of the triage queue).
func TestSQSOversizedAlertFailsAlone(t *testing.T) {
	cfg := motoConfig(t)
	c := sqs.NewFromConfig(cfg)
	url, _ := createQueue(t, c, "triage")
	big := testAlert(strings.Repeat("c", 32))
	big.Event.ErrorMessage = strings.Repeat("x", sqsMaxBytes)
	small := testAlert(strings.Repeat("d", 32))
	err := NewSQS(c, url).Send(context.Background(), []*alert.Alert{small, big})
	if err == nil || !strings.Contains(err.Error(), big.ID) {
		t.Fatalf("oversized alert: got %v, want an error naming %s", err, big.ID)
	}
	// The oversized alert fails alone: the other one is in the queue, and the error is
	// attributed to the oversized one only.
	if failed := delivery.Attribute(err, []string{small.ID, big.ID}); failed[small.ID] != nil || failed[big.ID] == nil {
		t.Fatalf("attributed %v", failed)
	}
	if msgs := drain(t, c, url); len(msgs) != 1 || decodeAlert(t, aws.ToString(msgs[0].Body)).ID != small.ID {
		t.Fatalf("queue holds %d messages, want the small alert only", len(msgs))
	}
	// A queue that does not exist fails the whole send.
	err = NewSQS(c, url+"-missing").Send(context.Background(), []*alert.Alert{testAlert(strings.Repeat("e", 32))})
	if err == nil {
		t.Fatal("send to a missing queue succeeded")
	}
}
