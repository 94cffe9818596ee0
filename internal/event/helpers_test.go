package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// result is what one decode produced, with Raw copied out of the decoder's buffers.
type result struct {
	recs []Record
	errs []*DecodeError
}

// collect drains a decoder iterator, failing the test on any error that is not a *DecodeError
// or whose Origin does not match the Record yielded beside it.
func collect(t testing.TB, seq func(func(Record, error) bool)) result {
	t.Helper()
	var res result
	for r, err := range seq {
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			if de.Origin != r.Origin {
				t.Errorf("error origin %+v differs from the record's %+v", de.Origin, r.Origin)
			}
			res.errs = append(res.errs, de)
			continue
		}
		r.Raw = bytes.Clone(r.Raw)
		res.recs = append(res.recs, r)
	}
	return res
}

func decodeString(t testing.TB, name, in string) result {
	t.Helper()
	return collect(t, RecordsBytes(name, []byte(in)))
}

// jsonHeader is the Header encoding/json reads from a record: top-level string fields, with
// absent or non-string fields empty.
func jsonHeader(t testing.TB, raw []byte) Header {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("encoding/json cannot read record: %v\n%s", err, raw)
	}
	s := func(k string) string {
		var v any
		_ = json.Unmarshal(m[k], &v) // absent (nil) or not a string reads as ""
		str, _ := v.(string)
		return str
	}
	return Header{
		EventVersion: s("eventVersion"), EventSource: s("eventSource"), EventName: s("eventName"),
		EventID: s("eventID"), EventTime: s("eventTime"), EventType: s("eventType"),
		AWSRegion: s("awsRegion"), RecipientAccountID: s("recipientAccountId"), ErrorCode: s("errorCode"),
	}
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return reflect.DeepEqual(va, vb)
}

type corpusRecord struct {
	name string
	raw  []byte // the file as written
}

func loadCorpus(t testing.TB) []corpusRecord {
	t.Helper()
	var out []corpusRecord
	for _, p := range testutil.CorpusFiles(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("read corpus: %v", err)
		}
		out = append(out, corpusRecord{name: p, raw: b})
	}
	return out
}

// eventBridge wraps a record as EventBridge delivers it to a Lambda target.

// sqsLambda is one record of a Lambda SQS event whose body is body.

// sqsAPI is a message as SQS ReceiveMessage returns it.

// records wraps items in a {"Records":[...]} object (a log file or a Lambda SQS batch).
