package testutil

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Framing is one way of delivering a CloudTrail record, as a function wrapping it.
type Framing struct {
	Name string
	Wrap func(t testing.TB, record []byte) []byte
}

// Framings lists every input framing detector scan accepts, each wrapping one record.
func Framings() []Framing {
	return []Framing{
		{"record", func(t testing.TB, r []byte) []byte { return Compact(t, r) }},
		{"pretty", func(t testing.TB, r []byte) []byte { return Indent(t, r) }},
		{"eventbridge", func(t testing.TB, r []byte) []byte { return EventBridge(Compact(t, r), "AWS API Call via CloudTrail") }},
		{"sqs-record", func(t testing.TB, r []byte) []byte { return Records(SQSLambda(t, "m-1", Compact(t, r))) }},
		{"sqs-eventbridge", func(t testing.TB, r []byte) []byte {
			return Records(SQSLambda(t, "m-1", EventBridge(Compact(t, r), "AWS API Call via CloudTrail")))
		}},
		{"sqs-receive", func(t testing.TB, r []byte) []byte { return SQSReceive(t, "m-1", Compact(t, r)) }},
		{"logfile", func(t testing.TB, r []byte) []byte { return Records(Compact(t, r)) }},
		{"logfile-gz", func(t testing.TB, r []byte) []byte { return Gzip(t, Records(Compact(t, r))) }},
		{"array", func(t testing.TB, r []byte) []byte { return append(append([]byte("["), Compact(t, r)...), ']') }},
		{"jsonl", func(t testing.TB, r []byte) []byte {
			return bytes.Join([][]byte{Compact(t, r), EventBridge(Compact(t, r), "AWS API Call via CloudTrail"), nil}, []byte("\n"))
		}},
	}
}

// Compact returns raw as compact JSON.
func Compact(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("compact: %v", err)
	}
	return buf.Bytes()
}

// Indent returns raw pretty-printed over several lines.
func Indent(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	return buf.Bytes()
}

// Gzip compresses b.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// EventBridge wraps a record as EventBridge delivers it to a target: source is the AWS source
// of the record's eventSource ("aws." + its first label; "aws.iam" when it has none) and
// account its recipientAccountId (111122223333 when it has none), as AWS sends them.
func EventBridge(rec []byte, detailType string) []byte {
	dt, _ := json.Marshal(detailType)
	var head struct {
		EventSource        any `json:"eventSource"`
		RecipientAccountID any `json:"recipientAccountId"`
	}
	_ = json.Unmarshal(rec, &head)
	source, account := "aws.iam", "111122223333"
	if es, ok := head.EventSource.(string); ok && strings.HasSuffix(es, ".amazonaws.com") {
		source = "aws." + strings.TrimSuffix(es, ".amazonaws.com")
	}
	if a, ok := head.RecipientAccountID.(string); ok {
		account = a
	}
	src, _ := json.Marshal(source)
	acct, _ := json.Marshal(account)
	return fmt.Appendf(nil, `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718",`+
		`"detail-type":%s,"source":%s,"account":%s,`+
		`"time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":%s}`, dt, src, acct, rec)
}

// SQSLambda is one record of a Lambda SQS event whose body is body.
func SQSLambda(t testing.TB, id string, body []byte) []byte {
	t.Helper()
	return fmt.Appendf(nil, `{"messageId":%s,"receiptHandle":"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",`+
		`"body":%s,"attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183"},`+
		`"messageAttributes":{},"md5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","eventSource":"aws:sqs",`+
		`"eventSourceARN":"arn:aws:sqs:us-east-1:111122223333:trailhound","awsRegion":"us-east-1"}`,
		MustJSON(t, id), MustJSON(t, string(body)))
}

// SQSReceive is a message as SQS ReceiveMessage returns it.
func SQSReceive(t testing.TB, id string, body []byte) []byte {
	t.Helper()
	return fmt.Appendf(nil, `{"MessageId":%s,"ReceiptHandle":"AQEBzbVv","MD5OfBody":"e4e68fb7bd0e697a0ae8f1bb342846b3","Body":%s}`,
		MustJSON(t, id), MustJSON(t, string(body)))
}

// Records wraps items in a {"Records":[...]} object (a log file or a Lambda SQS batch).
func Records(items ...[]byte) []byte {
	return append(append([]byte(`{"Records":[`), bytes.Join(items, []byte(","))...), "]}"...)
}

// MustJSON marshals v.
func MustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
