package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailhound/trailhound/internal/testutil"
)

// gzipBomb returns a gzip stream of n spaces, compressed as it is written so the test never
// holds n bytes.
func gzipBomb(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := w.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGzipBombRefusedOthersDecoded: a small .gz that expands past the cap is refused with one
// ErrTooLarge naming the file, and the files around it are still decoded.
func TestGzipBombRefusedOthersDecoded(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), []byte(recA))
	bomb := gzipBomb(t, 3<<20)
	writeFile(t, filepath.Join(dir, "b-bomb.json.gz"), bomb)
	writeFile(t, filepath.Join(dir, "c.json.gz"), testutil.Gzip(t, []byte(recB)))
	d := &Decoder{MaxInput: 1 << 20}
	res := collect(t, d.Paths([]string{dir}, nil))
	if len(res.recs) != 2 || res.recs[0].EventName != "UpdateAccessKey" || res.recs[1].EventName != "DeleteAccessKey" {
		t.Fatalf("records %v, want the two files around the bomb", res.recs)
	}
	if len(res.errs) != 1 || !errors.Is(res.errs[0], ErrTooLarge) {
		t.Fatalf("errors %v, want one ErrTooLarge", res.errs)
	}
	msg := res.errs[0].Error()
	if !strings.Contains(msg, "b-bomb.json.gz") || !strings.Contains(msg, "more than 1 MiB") {
		t.Errorf("error %q does not name the file and the cap", msg)
	}
}

// TestGzipBombDefaultCap: with the default cap, a gzip input decompressing past
// DefaultMaxInput is refused, through every entry point (bytes, reader, path).
func TestGzipBombDefaultCap(t *testing.T) {
	if testing.Short() {
		t.Skip("decompresses 128 MiB (-short)")
	}
	bomb := gzipBomb(t, DefaultMaxInput+1)
	path := filepath.Join(t.TempDir(), "bomb.json.gz")
	writeFile(t, path, bomb)
	for name, seq := range map[string]func(func(Record, error) bool){
		"bytes":  RecordsBytes("bomb.json.gz", bomb),
		"reader": Records("bomb.json.gz", bytes.NewReader(bomb)),
		"path":   Paths([]string{path}, nil),
	} {
		res := collect(t, seq)
		if len(res.recs) != 0 || len(res.errs) != 1 || !errors.Is(res.errs[0], ErrTooLarge) ||
			!strings.Contains(res.errs[0].Error(), "bomb.json.gz") {
			t.Errorf("%s: %d records, errors %v; want one ErrTooLarge naming the file", name, len(res.recs), res.errs)
		}
	}
	// Exactly at the cap is still decoded (it is whitespace: no records, no errors).
	res := collect(t, RecordsBytes("full.json.gz", gzipBomb(t, DefaultMaxInput)))
	if len(res.recs)+len(res.errs) != 0 {
		t.Errorf("an input of exactly the cap: %d records, errors %v", len(res.recs), res.errs)
	}
}

// TestGzipTrailerNotTrusted: a forged ISIZE (4 GiB) does not make the decoder reserve memory
// before decompressing: the buffer it presizes is bounded by the compressed size.
func TestGzipTrailerNotTrusted(t *testing.T) {
	gz := testutil.Gzip(t, []byte(recA))
	binary.LittleEndian.PutUint32(gz[len(gz)-4:], 0xffffffff)
	var d Decoder
	res := collect(t, d.RecordsBytes("forged.json.gz", gz))
	if len(res.recs) != 1 || len(res.errs) != 1 || !errors.Is(res.errs[0], ErrCorrupt) {
		t.Fatalf("records %d, errors %v; want the record, then ErrCorrupt (ISIZE mismatch)", len(res.recs), res.errs)
	}
	if limit := len(gz)*hintRatio + 1; cap(d.out) > limit {
		t.Errorf("decoder reserved %d bytes for a %d-byte gzip input (at most %d)", cap(d.out), len(gz), limit)
	}
}

// TestOversizeInputRefused: a plain input over the cap (a file, a stream, bytes) is refused
// whole, naming it, without being read into memory when its size is known.
func TestOversizeInputRefused(t *testing.T) {
	big := []byte(recA + "\n" + strings.Repeat(" ", 2048) + recB)
	path := filepath.Join(t.TempDir(), "big.json")
	writeFile(t, path, big)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, seq := range map[string]func(func(Record, error) bool){
		"bytes":  (&Decoder{MaxInput: 1024}).RecordsBytes("big.json", big),
		"reader": (&Decoder{MaxInput: 1024}).Records("big.json", bytes.NewReader(big)),
		"file":   (&Decoder{MaxInput: 1024}).Records("big.json", f),
		"path":   (&Decoder{MaxInput: 1024}).Paths([]string{path}, nil),
	} {
		res := collect(t, seq)
		if len(res.recs) != 0 || len(res.errs) != 1 || !errors.Is(res.errs[0], ErrTooLarge) ||
			!strings.Contains(res.errs[0].Error(), "big.json") || !strings.Contains(res.errs[0].Error(), "1 KiB") {
			t.Errorf("%s: %d records, errors %v; want one ErrTooLarge naming the file and cap", name, len(res.recs), res.errs)
		}
	}
}

// TestRecordWithRecordsKeyIsNotALogFile: a record that also has a top-level "Records" key
// (an empty array, or one holding something) is still decoded as a record, wherever the key
// stands, and not read as an empty log file.
func TestRecordWithRecordsKeyIsNotALogFile(t *testing.T) {
	body := recB[1 : len(recB)-1]
	for name, in := range map[string]string{
		"records-first":      `{"Records":[],` + body + `}`,
		"records-last":       `{` + body + `,"Records":[]}`,
		"records-nonempty":   `{"Records":[{"x":1}],` + body + `}`,
		"in-array":           `[{"Records":[],` + body + `}]`,
		"eventbridge":        `{"Records":[],"source":"aws.iam","account":"111122223333","detail-type":"AWS API Call via CloudTrail","detail":` + recB + `}`,
		"jsonl-second-line":  recA + "\n" + `{"Records":[],` + body + `}`,
		"gzip-records-first": string(testutil.Gzip(t, []byte(`{"Records":[],`+body+`}`))),
	} {
		res := decodeString(t, name, in)
		var names []string
		for _, r := range res.recs {
			names = append(names, r.EventName)
		}
		if !strings.Contains(strings.Join(names, ","), "DeleteAccessKey") {
			t.Errorf("%s: records %v, errors %v; the DeleteAccessKey record vanished", name, names, res.errs)
		}
	}
	// A real log file and a Lambda SQS batch are still lists.
	res := decodeString(t, "log", string(testutil.Records([]byte(recA), []byte(recB))))
	if len(res.recs) != 2 || len(res.errs) != 0 {
		t.Errorf("log file: %d records, errors %v", len(res.recs), res.errs)
	}
}

// TestForgedEnvelopesRefused: an EventBridge event carrying a CloudTrail record is refused
// (ErrForgedEnvelope) unless its source is the AWS source its detail.eventSource implies and
// its account is detail.recipientAccountId; the real envelope is admitted, in every framing.
func TestForgedEnvelopesRefused(t *testing.T) {
	env := func(source, account, detail string) string {
		return `{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":` + source +
			`,"account":` + account + `,"time":"2024-01-02T03:04:05Z","region":"us-east-1","resources":[],"detail":` + detail + `}`
	}
	noRID := strings.Replace(recA, `,"recipientAccountId":"111122223333"`, "", 1)
	lambdaRec := strings.Replace(recA, "iam.amazonaws.com", "lambda.amazonaws.com", 1)
	custom := strings.Replace(recA, "iam.amazonaws.com", "custom.example.com", 1)
	for name, c := range map[string]struct {
		in     string
		forged bool
	}{
		"real":                  {env(`"aws.iam"`, `"111122223333"`, recA), false},
		"real-lambda":           {env(`"aws.lambda"`, `"111122223333"`, lambdaRec), false},
		"real-no-recipient":     {env(`"aws.iam"`, `"111122223333"`, noRID), false},
		"custom-source":         {env(`"attacker.iam"`, `"111122223333"`, recA), true},
		"aws-source-of-other":   {env(`"aws.lambda"`, `"111122223333"`, recA), true},
		"source-case":           {env(`"AWS.IAM"`, `"111122223333"`, recA), true},
		"escaped-source":        {env(`"aws.ia\u006d "`, `"111122223333"`, recA), true},
		"no-source":             {strings.Replace(env(`"aws.iam"`, `"111122223333"`, recA), `"source":"aws.iam",`, "", 1), true},
		"source-number":         {env(`1`, `"111122223333"`, recA), true},
		"other-account":         {env(`"aws.iam"`, `"999988887777"`, recA), true},
		"no-account":            {strings.Replace(env(`"aws.iam"`, `"111122223333"`, recA), `"account":"111122223333",`, "", 1), true},
		"empty-account":         {env(`"aws.iam"`, `""`, noRID), true},
		"unlisted-event-source": {env(`"aws.custom"`, `"111122223333"`, custom), true},
		"duplicate-source":      {strings.Replace(env(`"aws.iam"`, `"111122223333"`, recA), `"source":"aws.iam"`, `"source":"evil","source":"aws.iam"`, 1), true},
	} {
		for framing, in := range map[string]string{
			"eventbridge": c.in,
			"sqs":         string(testutil.SQSLambda(t, "m-1", []byte(c.in))),
			"jsonl":       recB + "\n" + c.in + "\n" + recB,
		} {
			res := decodeString(t, name, in)
			var n int
			for _, r := range res.recs {
				if r.EventName == "UpdateAccessKey" {
					n++
				}
			}
			switch {
			case c.forged && (n != 0 || len(res.errs) != 1 || !(errors.Is(res.errs[0], ErrForgedEnvelope) || errors.Is(res.errs[0], ErrDuplicateKey))):
				t.Errorf("%s/%s: records %d, errors %v; want it refused as forged", name, framing, n, res.errs)
			case !c.forged && (n != 1 || len(res.errs) != 0):
				t.Errorf("%s/%s: records %d, errors %v; want it admitted", name, framing, n, res.errs)
			}
			if framing == "jsonl" && len(res.recs) != 2+n {
				t.Errorf("%s/%s: %d records; the records around it were lost", name, framing, len(res.recs))
			}
		}
	}
}

// TestRecordsResyncAfterGarbage: garbage inside a one-line {"Records":[...]} costs only the
// record it breaks; the records after it are still decoded, in whatever layout.
func TestRecordsResyncAfterGarbage(t *testing.T) {
	rec := func(i int) string {
		return strings.Replace(recA, "000000000001", fmt.Sprintf("%012d", i), 1)
	}
	broken := rec(2)[:60] + "\x00garbage" + rec(2)[60:]
	for name, c := range map[string]struct {
		in   string
		recs int
	}{
		"inside-a-record":    {`{"Records":[` + rec(1) + "," + broken + "," + rec(3) + "," + rec(4) + "," + rec(5) + `]}`, 4},
		"between-records":    {`{"Records":[` + rec(1) + "," + rec(2) + ",,!!," + rec(3) + "," + rec(4) + "," + rec(5) + `]}`, 5},
		"first-record":       {`{"Records":[` + broken + "," + rec(3) + "," + rec(4) + `]}`, 2},
		"last-record":        {`{"Records":[` + rec(1) + "," + broken + `]}`, 1},
		"two-breaks":         {`{"Records":[` + rec(1) + "," + broken + "," + rec(3) + "," + broken + "," + rec(5) + `]}`, 3},
		"pretty":             {string(testutil.Indent(t, []byte(`{"Records":[`+rec(1)+","+rec(2)+"]}"))) + "\n", 2},
		"then-more-keys":     {`{"Records":[` + broken + "," + rec(3) + `],"other":{"a":[1]}}` + "\n" + rec(9), 2},
		"in-top-level-array": {`[{"Records":[` + broken + "," + rec(3) + `]},` + rec(9) + `]`, 2},
		"gzip":               {string(testutil.Gzip(t, []byte(`{"Records":[`+rec(1)+","+broken+","+rec(3)+`]}`))), 2},
	} {
		res := decodeString(t, name, c.in)
		if len(res.recs) != c.recs {
			t.Errorf("%s: %d records, want %d; errors %v", name, len(res.recs), c.recs, res.errs)
		}
		for _, e := range res.errs {
			if !errors.Is(e, ErrSyntax) {
				t.Errorf("%s: error %v is not a syntax error", name, e)
			}
		}
		for i, r := range res.recs {
			if i > 0 && r.Origin.Index <= res.recs[i-1].Origin.Index {
				t.Errorf("%s: record indexes out of order: %+v", name, res.recs)
			}
		}
	}
}
