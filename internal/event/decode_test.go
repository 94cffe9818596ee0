package event

import (
	"github.com/trailhound/trailhound/internal/testutil"

	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	recA = `{"eventVersion":"1.08","eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","eventID":"aaaaaaaa-0000-0000-0000-000000000001","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	recB = `{"eventVersion":"1.08","eventTime":"2024-01-02T03:04:06Z","eventSource":"iam.amazonaws.com","eventName":"DeleteAccessKey","awsRegion":"us-east-1","eventID":"aaaaaaaa-0000-0000-0000-000000000002","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
)

// want describes the expected outcome of one decode: the event names of the records in order,
// and, for each error, the sentinel it wraps and text its message contains.
type want struct {
	names []string
	errs  []wantErr
}

type wantErr struct {
	is       error
	contains string
}

func check(t *testing.T, res result, w want) {
	t.Helper()
	var names []string
	for _, r := range res.recs {
		names = append(names, r.EventName)
	}
	if fmt.Sprint(names) != fmt.Sprint(w.names) {
		t.Errorf("records %v, want %v", names, w.names)
	}
	if len(res.errs) != len(w.errs) {
		t.Fatalf("errors %v, want %d", res.errs, len(w.errs))
	}
	for i, e := range res.errs {
		if !errors.Is(e, w.errs[i].is) {
			t.Errorf("error %q does not wrap %v", e, w.errs[i].is)
		}
		if !strings.Contains(e.Error(), w.errs[i].contains) {
			t.Errorf("error %q does not contain %q", e, w.errs[i].contains)
		}
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	deep := func(n int) string {
		return `{"eventName":"Deep","x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}"
	}
	tricky := `{"eventName":"A}","eventSource":"]\"{\n}\\","userAgent":"}\n{\"eventName\":\"Injected\"}","x":"\\"}` + "\n" +
		`{"eventName":"B","requestParameters":{"userName":"x\"},{\"eventName\":\"Injected\"}"}}`
	cases := []struct {
		name string
		in   string
		want want
	}{
		{"empty", "", want{}},
		{"whitespace only", " \n\t\r\n  \n", want{}},
		{"bom", "\ufeff" + recA, want{names: []string{"UpdateAccessKey"}}},
		{"bom then jsonl", "\ufeff" + recA + "\n" + recB + "\n", want{names: []string{"UpdateAccessKey", "DeleteAccessKey"}}},
		{"broken line between good lines", recA + "\n" + `{"eventName": broken, "x": 1}` + "\n" + recB + "\n",
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:2 (record 1)"}}}},
		{"unterminated line between good lines", recA + "\n" + `{"eventName":"Cut` + "\n" + recB,
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:2 (record 1)"}}}},
		{"line missing its closing brace", recA + "\n" + `{"eventName":"Cut"` + "\n" + recB,
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:2 (record 1)"}}}},
		{"garbage line", recA + "\r\nnot json at all\r\n" + recB + "\r\n",
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:2 (record 1): malformed JSON: invalid character 'o' in literal null"}}}},
		{"brackets, quotes and newline escapes inside strings", tricky, want{names: []string{"A}", "B"}}},
		{"crlf", recA + "\r\n" + recB + "\r\n", want{names: []string{"UpdateAccessKey", "DeleteAccessKey"}}},
		{"concatenated without separator", recA + recB, want{names: []string{"UpdateAccessKey", "DeleteAccessKey"}}},
		{"raw newline inside string is malformed", `{"eventName":"a` + "\n" + `b"}` + "\n" + recB,
			want{[]string{"DeleteAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:1 (record 0)"}}}},
		{"non-CloudTrail object", `{"hello":"world"}`,
			want{errs: []wantErr{{ErrNotRecord, "in.jsonl:1 (record 0): not a CloudTrail record, EventBridge event or SQS message"}}}},
		{"top-level scalar", recA + "\n42\n" + recB,
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrNotRecord, "a JSON number, not an object"}}}},
		{"S3 event notification", `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put"}]}`,
			want{errs: []wantErr{{ErrNotRecord, `eventSource "aws:s3"`}}}},
		{"unsupported detail-type", string(testutil.EventBridge([]byte(recA), "Object Created")) + "\n" + string(testutil.EventBridge([]byte(recB), "AWS Console Sign In via CloudTrail")),
			want{[]string{"DeleteAccessKey"}, []wantErr{{ErrDetailType, `unsupported EventBridge detail-type "Object Created"`}}}},
		{"eventbridge detail not an object", `{"detail-type":"AWS API Call via CloudTrail","detail":"x"}`,
			want{errs: []wantErr{{ErrNotRecord, "detail is a string"}}}},
		{"duplicate header key", `{"eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventName":"DeleteUser"}` + "\n" + recA,
			want{[]string{"UpdateAccessKey"}, []wantErr{{ErrDuplicateKey, `duplicate key "eventName"`}}}},
		{"duplicate header key spelled with an escape", `{"eventSource":"iam.amazonaws.com","eventName":"ListUsers","event\u004eame":"DeleteUser"}`,
			want{errs: []wantErr{{ErrDuplicateKey, `"eventName"`}}}},
		{"duplicate key in eventbridge detail", string(testutil.EventBridge([]byte(`{"eventName":"A","eventName":"B"}`), "AWS API Call via CloudTrail")),
			want{errs: []wantErr{{ErrDuplicateKey, "in EventBridge detail"}}}},
		{"duplicate eventbridge detail", `{"detail-type":"AWS API Call via CloudTrail","detail":` + recA + `,"detail":` + recB + `}`,
			want{errs: []wantErr{{ErrDuplicateKey, `"detail"`}}}},
		{"non-string header values are empty", `{"eventName":"A","errorCode":null,"eventID":7,"awsRegion":{"x":"y"}}`, want{names: []string{"A"}}},
		{"escaped header value", `{"eventName":"Create\u0055ser\ud83d\ude00","eventSource":"iam.amazonaws.com"}`, want{names: []string{"CreateUser\U0001F600"}}},
		{"nesting at the limit", deep(maxDepth - 1), want{names: []string{"Deep"}}},
		{"nesting past the limit", deep(maxDepth+1) + "\n" + recA,
			want{[]string{"UpdateAccessKey"}, []wantErr{{ErrSyntax, "nesting deeper than 256"}}}},
		{"array element broken", "[\n" + recA + ",\n" + `{"eventName": oops},` + "\n" + recB + "\n]\n",
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:3 (record 1)"}}}},
		{"array of non-objects", `[1,"x"]`,
			want{errs: []wantErr{{ErrNotRecord, "a JSON number"}, {ErrNotRecord, "a JSON string"}}}},
		{"log file broken mid-Records", `{"Records":[` + recA + "," + recB + `,{"eventName":"X",]},` + recA + `]}`,
			want{[]string{"UpdateAccessKey", "DeleteAccessKey", "UpdateAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:1 (record 2)"}}}},
		{"log file then a good line", `{"Records":[` + recA + "," + recB + `,{"eventName"` + "\n" + recA,
			want{[]string{"UpdateAccessKey", "DeleteAccessKey", "UpdateAccessKey"}, []wantErr{{ErrSyntax, "in.jsonl:1 (record 2)"}}}},
		{"log file truncated", `{"Records":[` + recA + "," + recB,
			want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrSyntax, "unexpected end of input"}}}},
		{"empty log file", `{"Records":[]}`, want{}},
		{"sqs body not JSON", string(testutil.SQSLambda(t, "m-9", []byte("hello"))),
			want{errs: []wantErr{{ErrSyntax, "SQS message body"}}}},
		{"sqs body a string", string(testutil.SQSLambda(t, "m-9", []byte(`"x"`))),
			want{errs: []wantErr{{ErrNotRecord, "body is a JSON string"}}}},
		{"sqs body not a record", string(testutil.SQSReceive(t, "m-9", []byte(`{"a":1}`))),
			want{errs: []wantErr{{ErrNotRecord, "SQS message body: not a CloudTrail record"}}}},
		{"sqs body two values", string(testutil.SQSReceive(t, "m-9", []byte(recA+recB))),
			want{errs: []wantErr{{ErrSyntax, "more than one JSON value"}}}},
		{"sqs body unsupported detail-type", string(testutil.SQSReceive(t, "m-9", testutil.EventBridge([]byte(recA), "Scheduled Event"))),
			want{errs: []wantErr{{ErrDetailType, `"Scheduled Event"`}}}},
		{"sqs message without body string", `{"messageId":"1","body":{"eventName":"A"}}`,
			want{errs: []wantErr{{ErrNotRecord, "body is a object"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, decodeString(t, "in.jsonl", tc.in), tc.want)
		})
	}
}

// TestErrorOrigins checks the line and index of records and errors around a broken line.
func TestErrorOrigins(t *testing.T) {
	in := recA + "\n\n" + `{"eventName":` + "\n" + recB + "\n" + "[" + recA + ",\n7]\n"
	res := decodeString(t, "f.jsonl", in)
	type pos struct{ line, index int }
	var recs, errs []pos
	for _, r := range res.recs {
		recs = append(recs, pos{r.Origin.Line, r.Origin.Index})
	}
	for _, e := range res.errs {
		errs = append(errs, pos{e.Origin.Line, e.Origin.Index})
		if e.Origin.File != "f.jsonl" {
			t.Errorf("error names file %q", e.Origin.File)
		}
	}
	if want := []pos{{1, 0}, {4, 2}, {5, 3}}; fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("record positions %v, want %v", recs, want)
	}
	if want := []pos{{3, 1}, {6, 4}}; fmt.Sprint(errs) != fmt.Sprint(want) {
		t.Errorf("error positions %v, want %v", errs, want)
	}
}

func TestTruncatedGzip(t *testing.T) {
	var lines []string
	for i := range 200 {
		lines = append(lines, strings.Replace(recA, "000000000001", fmt.Sprintf("%012d", i), 1))
	}
	full := testutil.Gzip(t, []byte(strings.Join(lines, "\n")))
	for _, cut := range []int{len(full) / 2, len(full) - 4, len(full) - 9} {
		res := collect(t, RecordsBytes("log.json.gz", full[:cut]))
		if len(res.recs) == 0 || len(res.recs) >= 200 && cut == len(full)/2 {
			t.Errorf("cut at %d/%d: %d records", cut, len(full), len(res.recs))
		}
		for i, r := range res.recs {
			if !strings.HasSuffix(r.EventID, fmt.Sprintf("%012d", i)) {
				t.Fatalf("record %d has eventID %s", i, r.EventID)
			}
		}
		if len(res.errs) != 1 || !errors.Is(res.errs[0], ErrTruncated) {
			t.Fatalf("cut at %d: errors %v, want one ErrTruncated", cut, res.errs)
		}
		if e := res.errs[0]; e.Origin.Index != len(res.recs) || e.Origin.Line < len(res.recs) {
			t.Errorf("cut at %d: truncation reported at %+v after %d records", cut, e.Origin, len(res.recs))
		}
	}
}

func TestReadErrorAfterData(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(iotest.OneByteReader(strings.NewReader(recA+"\n"+recB[:20])), iotest.ErrReader(boom))
	res := collect(t, Records("slow", r))
	if len(res.recs) != 1 || res.recs[0].EventName != "UpdateAccessKey" {
		t.Errorf("records %v, want the one before the read error", res.recs)
	}
	if len(res.errs) != 1 || !errors.Is(res.errs[0], ErrRead) || !errors.Is(res.errs[0], boom) {
		t.Fatalf("errors %v, want one ErrRead wrapping the cause", res.errs)
	}
	if o := res.errs[0].Origin; o.Line != 2 || o.Index != 1 {
		t.Errorf("read error at %+v, want line 2, index 1", o)
	}
}

func TestRecordsReaderGzip(t *testing.T) {
	res := collect(t, Records("r.json.gz", bytes.NewReader(testutil.Gzip(t, []byte(testutil.Records([]byte(recA), []byte(recB)))))))
	check(t, res, want{names: []string{"UpdateAccessKey", "DeleteAccessKey"}})
}

func TestStopEarly(t *testing.T) {
	in := []byte(testutil.Records([]byte(recA), []byte(recB), []byte(recA)))
	n := 0
	for range RecordsBytes("x", in) {
		n++
		break
	}
	for _, err := range RecordsBytes("x", []byte("oops\n"+recA)) {
		if err == nil {
			t.Fatal("the first item is an error")
		}
		n++
		break
	}
	if n != 2 {
		t.Fatalf("iterated %d times", n)
	}
}

// TestHeaderAllocations checks that a record costs at most one allocation (eventID and
// eventTime share one string; the other header values are interned).
func TestHeaderAllocations(t *testing.T) {
	var in []byte
	const n = 100
	for i := range n {
		in = fmt.Appendf(in, "%s\n", strings.Replace(recA, "000000000001", fmt.Sprintf("%012d", i), 1))
	}
	allocs := testing.AllocsPerRun(20, func() {
		for _, err := range RecordsBytes("x", in) {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
	if perRecord := allocs / n; perRecord > 1.2 {
		t.Errorf("%.2f allocations per record, want at most ~1", perRecord)
	}
}

// TestWant checks that a Decoder's Want sees each record's eventSource and eventName, that a
// declined record is yielded with only those two fields read and Declined set, that the
// others are decoded as without Want, and that a declined record costs no allocation.
func TestWant(t *testing.T) {
	in := append(testutil.Records([]byte(recA), []byte(recB), []byte(recA)), "\n[1]\n"...)
	var plain []Record
	var plainErrs int
	for rec, err := range RecordsBytes("x", in) {
		if err != nil {
			plainErrs++
			continue
		}
		plain = append(plain, rec)
	}
	if len(plain) != 3 || plainErrs != 1 {
		t.Fatalf("%d records and %d errors, want 3 and 1", len(plain), plainErrs)
	}
	var asked [][2]string
	d := Decoder{Want: func(source, name string) bool {
		asked = append(asked, [2]string{source, name})
		return name == plain[1].EventName
	}}
	var got []Record
	errs := 0
	for rec, err := range d.RecordsBytes("x", in) {
		if err != nil {
			errs++
			continue
		}
		got = append(got, rec)
	}
	if len(got) != len(plain) || errs != plainErrs {
		t.Fatalf("with Want: %d records and %d errors, want %d and %d", len(got), errs, len(plain), plainErrs)
	}
	for i, rec := range got {
		if asked[i] != [2]string{plain[i].EventSource, plain[i].EventName} {
			t.Errorf("record %d: Want asked with %q, want %q %q", i, asked[i], plain[i].EventSource, plain[i].EventName)
		}
		want := plain[i]
		if want.EventName != plain[1].EventName {
			want.Header = Header{EventSource: want.EventSource, EventName: want.EventName}
			want.Declined = true
		}
		if rec.Header != want.Header || rec.Declined != want.Declined || rec.Origin != want.Origin || string(rec.Raw) != string(want.Raw) {
			t.Errorf("record %d = %+v, want %+v", i, rec, want)
		}
	}

	var lines []byte
	const n = 100
	for i := range n {
		lines = fmt.Appendf(lines, "%s\n", strings.Replace(recA, "000000000001", fmt.Sprintf("%012d", i), 1))
	}
	d = Decoder{Want: func(string, string) bool { return false }}
	for range d.RecordsBytes("x", lines) { // warm the intern table and the buffers
	}
	allocs := testing.AllocsPerRun(20, func() {
		for rec, err := range d.RecordsBytes("x", lines) {
			if err != nil || !rec.Declined {
				t.Fatal(err, rec.Declined)
			}
		}
	})
	if perRecord := allocs / n; perRecord > 0.05 {
		t.Errorf("%.2f allocations per declined record, want none", perRecord)
	}
}

func TestSplit(t *testing.T) {
	type item struct {
		text string
		line int
	}
	cases := []struct {
		name string
		in   string
		want []item
		err  string
	}{
		{"jsonl", "\ufeff" + recA + "\n\n" + recB + "\n", []item{{recA, 1}, {recB, 3}}, ""},
		{"logfile", "{\"Records\": [\n" + recA + ",\n" + recB + "\n]}", []item{{recA, 2}, {recB, 3}}, ""},
		{"array of log files", `[{"Records":[` + recA + `]},{"x":1}]`, []item{{recA, 1}, {`{"x":1}`, 1}}, ""},
		{"envelopes are not unwrapped", `{"detail-type":"x","detail":{"Records":[1]}}`, []item{{`{"detail-type":"x","detail":{"Records":[1]}}`, 1}}, ""},
		{"error", recA + "\n{\"a\":tru}\n" + recB, []item{{recA, 1}}, "malformed JSON: invalid character '}' in literal true (expecting 'e') (line 2, column 9)"},
	}
	for _, tc := range cases {
		var got []item
		err := Split([]byte(tc.in), func(b []byte, line int) bool {
			got = append(got, item{string(b), line})
			return true
		})
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: items %v, want %v", tc.name, got, tc.want)
		}
		if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err || err != nil && !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	n := 0
	if err := Split([]byte(recA+recB), func([]byte, int) bool { n++; return false }); err != nil || n != 1 {
		t.Errorf("stopping Split: %d items, error %v", n, err)
	}
}

// TestDecoderReuse decodes several inputs with one Decoder: each starts afresh (indexes,
// lines, SQS bodies), including after an iteration the consumer stopped.
func TestDecoderReuse(t *testing.T) {
	var dec Decoder
	for range dec.RecordsBytes("first", []byte(testutil.Records([]byte(recA), []byte(recB)))) {
		break
	}
	inputs := []struct {
		name string
		in   []byte
	}{
		{"gz", testutil.Gzip(t, []byte(recA+"\n"+recB))},
		{"sqs", testutil.Records(testutil.SQSLambda(t, "m-1", []byte(recB)), testutil.SQSLambda(t, "m-2", []byte(recA)))},
		{"plain", []byte("\n" + recB + "\n" + recA)},
		{"gz-again", testutil.Gzip(t, []byte(recB+"\n"+recA))},
	}
	for _, tc := range inputs {
		res := collect(t, dec.RecordsBytes(tc.name, tc.in))
		if len(res.errs) != 0 || len(res.recs) != 2 {
			t.Fatalf("%s: %d records, errors %v", tc.name, len(res.recs), res.errs)
		}
		first, second := res.recs[0], res.recs[1]
		if first.Origin.File != tc.name || first.Origin.Index != 0 || second.Origin.Index != 1 {
			t.Errorf("%s: origins %+v, %+v", tc.name, first.Origin, second.Origin)
		}
		if first.Header != jsonHeader(t, first.Raw) || second.Header != jsonHeader(t, second.Raw) {
			t.Errorf("%s: headers do not match the records", tc.name)
		}
	}
	res := collect(t, dec.Records("reader", strings.NewReader(recA)))
	if len(res.recs) != 1 || res.recs[0].Origin.Line != 1 {
		t.Errorf("Records after reuse: %+v", res)
	}
}

func TestCorruptGzip(t *testing.T) {
	full := testutil.Gzip(t, []byte(recA+"\n"+recB+"\n"))
	bad := bytes.Clone(full)
	bad[len(bad)-5] ^= 0xff // CRC-32 in the trailer
	res := collect(t, RecordsBytes("bad.json.gz", bad))
	check(t, res, want{[]string{"UpdateAccessKey", "DeleteAccessKey"}, []wantErr{{ErrCorrupt, "bad.json.gz:3 (record 2): corrupt gzip stream after"}}})
	trailing := append(bytes.Clone(full), "garbage after the stream"...)
	res = collect(t, RecordsBytes("trailing.json.gz", trailing))
	if len(res.recs) != 2 || len(res.errs) != 1 || !errors.Is(res.errs[0], ErrCorrupt) {
		t.Errorf("gzip with trailing garbage: %d records, errors %v", len(res.recs), res.errs)
	}
}

// TestEscapedEnvelopeValues checks that envelope values are read unescaped, as encoding/json
// reads them, so an escape cannot change how an item is classified.
func TestEscapedEnvelopeValues(t *testing.T) {
	cases := []struct {
		in   string
		want want
	}{
		{`{"source":"aws.\u0069am","account":"111122223333","detail-type":"AWS API Call via CloudTrai\u006c","detail":` + recA + `}`, want{names: []string{"UpdateAccessKey"}}},
		{`{"eventSource":"aws:\u00733","eventName":"ObjectCreated:Put"}`, want{errs: []wantErr{{ErrNotRecord, "Lambda event-source record"}}}},
		{`{"body":` + string(testutil.MustJSON(t, recB)) + `,"eventSource":"aws:sq\u0073"}`, want{names: []string{"DeleteAccessKey"}}},
	}
	for _, tc := range cases {
		check(t, decodeString(t, "x", tc.in), tc.want)
	}
}
