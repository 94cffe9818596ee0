package function

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/obs"
)

func TestSQSBatchDetection(t *testing.T) {
	cases := map[string]struct {
		payload string
		want    bool
	}{
		"sqs batch":                            {`{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs"}]}`, true},
		"eventbridge event mentioning aws:sqs": {`{"detail-type":"AWS API Call via CloudTrail","source":"aws.sqs","detail":{"eventSource":"sqs.amazonaws.com","userAgent":"aws:sqs"}}`, false},
		"cloudtrail log file":                  {`{"Records":[{"eventSource":"iam.amazonaws.com","eventName":"GetUser","userAgent":"aws:sqs"}]}`, false},
		"empty batch":                          {`{"Records":[]}`, false},
		"not json":                             {`aws:sqs`, false},
		"sqs batch, body not a record":         {`{"Records":[{"messageId":"m1","body":"not json","eventSource":"aws:sqs"}]}`, true},
		"receive-message messages":             {`[{"MessageId":"m1","Body":"{}"}]`, false},
		"sqs-shaped records, other source":     {`{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:kinesis"}]}`, false},
	}
	for name, c := range cases {
		batch, ok := sqsBatch([]byte(c.payload))
		if ok != c.want {
			t.Errorf("%s: sqsBatch = %t, want %t", name, ok, c.want)
		}
		if ok && (len(batch.Records) != 1 || batch.Records[0].MessageId != "m1") {
			t.Errorf("%s: decoded %+v", name, batch)
		}
	}
}

func TestLambdaHandlerConfigurationErrors(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"no destination":  {map[string]string{}, "no alert destination configured"},
		"bad queue":       {map[string]string{"ALERT_QUEUE_URL": "triage"}, "ALERT_QUEUE_URL"},
		"bad enrich":      {map[string]string{"ALERT_QUEUE_URL": "http://127.0.0.1:1/q", "ENRICH": "sometimes"}, "ENRICH"},
		"bad securityhub": {map[string]string{"SECURITY_HUB": "yes please"}, "SECURITY_HUB"},
		"bad enrich role": {map[string]string{"ALERT_QUEUE_URL": "http://127.0.0.1:1/q", "ENRICH_ROLE_NAME": "arn:aws:iam::1:role/x"}, "ENRICH_ROLE_NAME"},
	}
	for name, c := range cases {
		var logs bytes.Buffer
		_, err := newLambdaHandler(context.Background(), func(k string) string { return c.env[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %s", name, err, c.want)
		}
	}
}
