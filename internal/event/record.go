// Package event owns the input side of trailhound: it recognises every framing a CloudTrail
// record arrives in (raw record, EventBridge event, SQS message, CloudTrail log file plain or
// gzipped, JSON array, JSON Lines), splits the input into records in one pass, and reads the
// header fields the engine needs to select rules without parsing the whole record.
//
// # Framing detection
//
// Each input is detected on its own, and each item in it too, so mixed JSON Lines work:
//
//   - An input starting with the gzip magic bytes (1f 8b) is decompressed first (every member
//     of a multi-member stream), then detected like any other.
//   - The input is a sequence of top-level JSON values separated by optional whitespace: one
//     value (compact or pretty-printed), JSON Lines, or concatenated values. A leading UTF-8
//     BOM is skipped; CRLF line ends are whitespace.
//   - A top-level array is a list of items, streamed element by element.
//   - An object with a "Records" array (a CloudTrail log file, a Lambda SQS batch) is a list
//     of items, streamed element by element; its other keys are ignored unless one of them
//     is a record's or an envelope's (eventVersion, eventSource, eventName, eventID,
//     eventTime, detail-type, detail, body, Body): then the object is also an item itself,
//     classified as below, so a record with a top-level "Records" key is never read as an
//     empty log file. A Records element is never itself a list.
//   - Every other object is one item, recognised by its top-level keys, in this order:
//     an SQS message ("messageId" and "body", or "body" with "eventSource": "aws:sqs" - a
//     Lambda SQS event record - or "MessageId" and "Body" - ReceiveMessage output), whose body
//     is a JSON string holding a CloudTrail record or an EventBridge event;
//     an EventBridge event ("detail-type" and "detail"), accepted when the detail-type ends in
//     "via CloudTrail" ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail",
//     ...), whose record is the "detail" object;
//     a CloudTrail record (an "eventName" or "eventSource" key, unless eventSource starts with
//     "aws:", the mark of other Lambda event-source records such as S3 notifications).
//     Anything else, including a top-level scalar, is ErrNotRecord.
//
// # Errors and recovery
//
// Every malformed item yields a *DecodeError whose Origin gives the file, the line where the
// item starts and its index, and decoding goes on. A syntax error resumes at the next line
// whose first byte is '{' or '[' (so one broken JSON Lines line costs only that line); in a
// log file, the records before the break have already been yielded. An item repeating a key
// the decoder reads (header fields, envelope keys), including spellings with escapes, is
// ambiguous and rejected with ErrDuplicateKey. Nesting deeper than 256 levels is malformed.
// Header fields that are absent or not strings read as empty, as encoding/json would read
// them. A truncated or damaged gzip stream yields the records before the damage, then one
// error (ErrTruncated, ErrCorrupt). An input larger than the cap (Decoder.MaxInput,
// DefaultMaxInput = 128 MiB), before or after decompression, is refused whole with one
// ErrTooLarge naming it; decompression never trusts the gzip trailer's size claim and holds at
// most the cap (see gunzip), so a gzip bomb costs bounded memory.
//
// # Performance
//
// Splitting, validation and header capture are one pass of a hand-written scanner over the
// whole input in memory, without reflection. A record costs one allocation (its eventID and
// eventTime share one string; repeating header values are interned per Decoder), and none
// when the Decoder's Want declines it; Record.Raw aliases the input. Split is the floor: the same scan without headers or classification.
package event

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
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
	// Declined is set when the Decoder's Want declined the record: of its Header only
	// EventSource and EventName were read, the other fields are empty.
	Declined bool
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
	name := SafeName(o.File)
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d (record %d)", name, o.Line, o.Index)
	}
	return fmt.Sprintf("%s (record %d)", name, o.Index)
}

// SafeName is a file name (or any input-supplied string) fit for a terminal or a log line:
// itself when it holds only printable characters, else Go-quoted, so control characters
// (escape sequences, carriage returns, newlines that would forge another line) and invalid
// UTF-8 show as escapes.
func SafeName(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			return strconv.Quote(s)
		}
	}
	return s
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
