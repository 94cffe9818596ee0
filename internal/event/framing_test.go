package event

import (
	"github.com/trailhound/trailhound/internal/testutil"

	"bytes"
	"testing"
)

// TestCorpusFramings decodes every corpus record alone and wrapped in each supported framing,
// and checks that the same record comes out with the same header, equal to encoding/json's
// reading of the record.
func TestCorpusFramings(t *testing.T) {
	const apiCall = "AWS API Call via CloudTrail"
	for _, c := range loadCorpus(t) {
		want := jsonHeader(t, c.raw)
		if want.EventName == "" || want.EventSource == "" {
			t.Fatalf("%s: corpus record without eventName/eventSource", c.name)
		}
		rec := bytes.TrimSpace(c.raw)
		cases := []struct {
			name    string
			in      []byte
			framing Framing
			msgID   string
			line    int
			exact   bool // Raw is the record's bytes verbatim
		}{
			{"alone", c.raw, FramingRecord, "", 1, true},
			{"eventbridge", testutil.EventBridge(rec, apiCall), FramingEventBridge, "", 1, true},
			{"sqs-record", testutil.SQSLambda(t, "m-1", rec), FramingSQS, "m-1", 1, false},
			{"sqs-eventbridge", testutil.SQSLambda(t, "m-2", testutil.EventBridge(rec, apiCall)), FramingSQS, "m-2", 1, false},
			{"sqs-receive-message", testutil.SQSReceive(t, "m-3", rec), FramingSQS, "m-3", 1, false},
			{"lambda-sqs-batch", testutil.Records(testutil.SQSLambda(t, "m-4", testutil.EventBridge(rec, apiCall))), FramingSQS, "m-4", 1, false},
			{"logfile", testutil.Records(rec), FramingLogFile, "", 1, true},
			{"logfile-gz", testutil.Gzip(t, testutil.Records(rec)), FramingLogFile, "", 1, true},
			{"logfile-pretty", testutil.Indent(t, testutil.Records(rec)), FramingLogFile, "", 3, false},
			{"array", append(append([]byte("[\n"), rec...), "\n]\n"...), FramingRecord, "", 2, true},
			{"jsonl", append(testutil.Compact(t, rec), '\n'), FramingRecord, "", 1, false},
			{"pretty", testutil.Indent(t, rec), FramingRecord, "", 1, false},
			{"eventbridge-jsonl-gz", testutil.Gzip(t, append(testutil.Compact(t, testutil.EventBridge(rec, apiCall)), '\n')), FramingEventBridge, "", 1, false},
		}
		for _, tc := range cases {
			res := decodeString(t, c.name, string(tc.in))
			if len(res.errs) != 0 || len(res.recs) != 1 {
				t.Errorf("%s / %s: %d records, errors %v; want 1 record", c.name, tc.name, len(res.recs), res.errs)
				continue
			}
			r := res.recs[0]
			if r.Header != want {
				t.Errorf("%s / %s: header\n got %+v\nwant %+v", c.name, tc.name, r.Header, want)
			}
			if tc.exact && !bytes.Equal(r.Raw, rec) {
				t.Errorf("%s / %s: Raw is not the record verbatim", c.name, tc.name)
			}
			if !sameJSON(t, r.Raw, rec) {
				t.Errorf("%s / %s: Raw differs from the record:\n%s", c.name, tc.name, r.Raw)
			}
			wantOrigin := Origin{File: c.name, Line: tc.line, Index: 0, Framing: tc.framing, MessageID: tc.msgID}
			if r.Origin != wantOrigin {
				t.Errorf("%s / %s: origin %+v, want %+v", c.name, tc.name, r.Origin, wantOrigin)
			}
		}
	}
}

// TestCorpusTogether decodes all corpus records at once in each multi-record framing: the
// records come out in order, with their indexes and lines.
func TestCorpusTogether(t *testing.T) {
	corpus := loadCorpus(t)
	var recs, lines, pretty, msgs [][]byte
	for i, c := range corpus {
		rec := bytes.TrimSpace(c.raw)
		recs = append(recs, rec)
		lines = append(lines, testutil.Compact(t, rec))
		pretty = append(pretty, testutil.Indent(t, rec))
		msgs = append(msgs, testutil.SQSLambda(t, "m-"+string(rune('a'+i)), rec))
	}
	inputs := map[string][]byte{
		"logfile":       testutil.Records(recs...),
		"logfile-gz":    testutil.Gzip(t, testutil.Records(recs...)),
		"array":         append(append([]byte("["), bytes.Join(recs, []byte(","))...), ']'),
		"jsonl":         bytes.Join(lines, []byte("\n")),
		"jsonl-crlf":    append(bytes.Join(lines, []byte("\r\n")), "\r\n"...),
		"concatenated":  bytes.Join(pretty, nil),
		"pretty-stream": bytes.Join(pretty, []byte("\n")),
		"sqs-batch":     testutil.Records(msgs...),
		"mixed-jsonl":   bytes.Join([][]byte{lines[0], testutil.Compact(t, testutil.EventBridge(recs[1], "AWS API Call via CloudTrail")), msgs[2], testutil.Records(recs[3:]...)}, []byte("\n")),
	}
	for name, in := range inputs {
		res := decodeString(t, name, string(in))
		if len(res.errs) != 0 || len(res.recs) != len(corpus) {
			t.Errorf("%s: %d records, errors %v; want %d records", name, len(res.recs), res.errs, len(corpus))
			continue
		}
		for i, r := range res.recs {
			if r.Header != jsonHeader(t, corpus[i].raw) || !sameJSON(t, r.Raw, corpus[i].raw) {
				t.Errorf("%s: record %d is not %s", name, i, corpus[i].name)
			}
			if r.Origin.Index != i {
				t.Errorf("%s: record %d has index %d", name, i, r.Origin.Index)
			}
			if name == "jsonl" || name == "jsonl-crlf" {
				if r.Origin.Line != i+1 {
					t.Errorf("%s: record %d on line %d, want %d", name, i, r.Origin.Line, i+1)
				}
			}
		}
	}
}
