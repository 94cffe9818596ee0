package event

import (
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// TestFirstFraming: the framing of an input's first item, a record or an error, and none for
// an input without items.
func TestFirstFraming(t *testing.T) {
	rec := []byte(`{"eventVersion":"1.09","eventSource":"iam.amazonaws.com","eventName":"GetUser","recipientAccountId":"111122223333"}`)
	const apiCall = "AWS API Call via CloudTrail"
	cases := []struct {
		name string
		in   []byte
		want Framing
		ok   bool
	}{
		{"record", rec, FramingRecord, true},
		{"eventbridge", testutil.EventBridge(rec, apiCall), FramingEventBridge, true},
		{"lambda sqs batch", testutil.Records(testutil.SQSLambda(t, "m-1", testutil.EventBridge(rec, apiCall))), FramingSQS, true},
		{"lambda sqs batch, body not json", []byte(`{"Records":[{"messageId":"m1","body":"not json","eventSource":"aws:sqs"}]}`), FramingSQS, true},
		{"log file", testutil.Records(rec), FramingLogFile, true},
		{"eventbridge event mentioning aws:sqs", []byte(`{"detail-type":"AWS API Call via CloudTrail","source":"aws.sqs","detail":{"eventSource":"sqs.amazonaws.com","eventName":"SendMessage","userAgent":"aws:sqs"}}`), FramingEventBridge, true},
		{"empty log file", []byte(`{"Records":[]}`), "", false},
		{"empty input", nil, "", false},
	}
	for _, c := range cases {
		got, ok := FirstFraming(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: FirstFraming = %q, %t; want %q, %t", c.name, got, ok, c.want, c.ok)
		}
	}
}
