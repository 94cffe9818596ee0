// Package event owns the input side of trailhound: it recognises every framing a CloudTrail
// record arrives in (raw record, EventBridge event, SQS message, CloudTrail log file plain or
// gzipped, JSON array, JSON Lines), splits the input into records in one pass, and reads the
// header fields the engine needs to select rules without parsing the whole record.
package event

import (
	"fmt"
)

// Header holds the top-level CloudTrail fields that rule selection, alert ids and replay
// filters need. They are read during splitting; the rest of the record stays raw bytes.
type Header struct {
	EventVersion       string
	EventSource        string
	EventName          string
	EventID            string
	EventTime          string
	EventType          string
	AWSRegion          string
	RecipientAccountID string
	ErrorCode          string
}

// Record is one CloudTrail record: its header fields and the record's JSON exactly as AWS wrote
// it (for an EventBridge event, the "detail" object; for an SQS message, the record inside the
// body).
type Record struct {
	Header
	// Raw is the CloudTrail record JSON. It may alias the decoder's buffer: callers that keep
	// it beyond the callback must copy it.
	Raw []byte
	// Origin says where the record came from, for error messages and the alert's provenance.
	Origin Origin
}

// Origin locates a record in its input.
type Origin struct {
	File    string // path, "-" for stdin, or an s3:// URL
	Line    int    // 1-based line where the record (or the item wrapping it) starts
	Index   int    // 0-based index of the item in the input (array element, JSON Lines item, Records entry)
	Framing Framing
	// MessageID is the SQS message id when the record arrived in an SQS message, so a Lambda
	// batch can report exactly the messages that failed.
	MessageID string
}

func (o Origin) String() string {
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d (record %d)", o.File, o.Line, o.Index)
	}
	return fmt.Sprintf("%s (record %d)", o.File, o.Index)
}

// Framing names how a record was wrapped.
type Framing string

const (
	FramingRecord      Framing = "record"      // a bare CloudTrail record
	FramingEventBridge Framing = "eventbridge" // EventBridge event, record in "detail"
	FramingSQS         Framing = "sqs"         // SQS message whose body is a record or EventBridge event
	FramingLogFile     Framing = "cloudtrail"  // {"Records":[...]} log file
)

// DecodeError is a malformed record or input. The decoder reports it and continues with the
// rest of the input wherever the framing allows.
type DecodeError struct {
	Origin Origin
	Err    error
}

func (e *DecodeError) Error() string { return fmt.Sprintf("%s: %v", e.Origin, e.Err) }
func (e *DecodeError) Unwrap() error { return e.Err }
