package sink

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/alert"
)

// snsNotification is what an SQS subscription of a topic receives (raw delivery off).
type snsNotification struct {
	Type              string
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

func TestSNSPublishesTextToSubscribers(t *testing.T) {
	cfg := motoConfig(t)
	ctx := context.Background()
	q := sqs.NewFromConfig(cfg)
	n := sns.NewFromConfig(cfg)
	url, arn := createQueue(t, q, "sns-readback")
	topic, err := n.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("trailhound-alerts")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}

	normal := testAlert(strings.Repeat("1", 32))
	// A hostile alert: a title with line breaks and non-ASCII for the subject, and a user agent
	// big enough to push the text past the SNS limit.
	huge := testAlert(strings.Repeat("2", 32))
	huge.Title = "Key\r\nreactivated — by ünïcode " + strings.Repeat("long ", 40)
	huge.Event.UserAgent = strings.Repeat("é", 200*1024)
	if err := NewSNS(n, *topic.TopicArn).Send(ctx, []*alert.Alert{normal, huge}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	msgs := drain(t, q, url)
	if len(msgs) != 2 {
		t.Fatalf("got %d notifications, want 2", len(msgs))
	}
	got := map[string]snsNotification{}
	for _, m := range msgs {
		var note snsNotification
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &note); err != nil {
			t.Fatalf("notification: %v", err)
		}
		switch {
		case strings.Contains(note.Message, normal.ID):
			got[normal.ID] = note
		case strings.Contains(note.Message, huge.ID):
			got[huge.ID] = note
		default:
			t.Fatalf("notification names neither alert: %.300s", note.Message)
		}
	}
	if n := got[normal.ID]; n.Subject != "[HIGH] Access key reactivated for another user" || n.Message != alert.Text(normal) {
		t.Errorf("normal alert: subject %q, message equals alert.Text: %t", n.Subject, n.Message == alert.Text(normal))
	}
	if v := got[normal.ID].MessageAttributes["rule_id"].Value; v != "TH-IAM-001" {
		t.Errorf("rule_id attribute %q", v)
	}
	h := got[huge.ID]
	if len(h.Subject) > snsMaxSubject || strings.ContainsAny(h.Subject, "\r\n") || !strings.HasPrefix(h.Subject, "[HIGH] Key reactivated ? by ?n?code long") {
		t.Errorf("hostile subject %q", h.Subject)
	}
	for _, r := range h.Subject {
		if r < 0x20 || r > 0x7e {
			t.Errorf("subject has non-ASCII %q", r)
		}
	}
	if len(h.Message) > snsMaxMessage || !utf8.ValidString(h.Message) || !strings.Contains(h.Message, "message truncated") {
		t.Errorf("oversized message: %d bytes, valid UTF-8 %t, has note %t", len(h.Message), utf8.ValidString(h.Message), strings.Contains(h.Message, "message truncated"))
	}
}

func TestSNSPublishFailureFailsSend(t *testing.T) {
	cfg := motoConfig(t)
	err := NewSNS(sns.NewFromConfig(cfg), "arn:aws:sns:us-east-1:123456789012:no-such-topic").
		Send(context.Background(), []*alert.Alert{testAlert(strings.Repeat("3", 32))})
	if err == nil || !strings.Contains(err.Error(), strings.Repeat("3", 32)) {
		t.Fatalf("publish to a missing topic: got %v, want an error naming the alert", err)
	}
}
