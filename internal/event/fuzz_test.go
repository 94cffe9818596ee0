package event

import (
	"github.com/trailhound/trailhound/internal/testutil"

	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// fuzzSeeds returns corpus records, alone and in every framing, plus hand-made edge cases.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		[]byte(recA + "\n{\"eventName\": broken\n" + recB),
		[]byte(`{"eventName":"a","event\u004eame":"b"}`),
		[]byte(`{"Records":[` + recA + `,{"eventName":` + "\n" + recB),
		[]byte("[\n" + recA + ",\n{x},\n" + recB + "\n]"),
		[]byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"\ud83d","errorCode":null}}`),
	}
	for i, c := range loadCorpus(f) {
		rec := bytes.TrimSpace(c.raw)
		if i%4 == 0 { // keep the seed set small enough to mutate quickly
			seeds = append(seeds, c.raw)
		}
		if i%8 == 1 {
			eb := testutil.EventBridge(rec, "AWS API Call via CloudTrail")
			seeds = append(seeds, eb, testutil.SQSLambda(f, "m", rec), testutil.SQSReceive(f, "m", eb), testutil.Records(testutil.SQSLambda(f, "m", eb)),
				testutil.Records(rec), testutil.Gzip(f, testutil.Records(rec)), append(append([]byte("["), rec...), ']'),
				append(testutil.Compact(f, rec), '\n'), testutil.Indent(f, rec))
		}
	}
	return seeds
}

// FuzzRecords decodes arbitrary input: it must never panic, every record's Raw must be valid
// JSON whose top-level fields encoding/json reads as the Header, and every error must be a
// *DecodeError with its origin.
func FuzzRecords(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		next := 0
		syntaxErrs := 0
		for r, err := range RecordsBytes("fuzz", data) {
			if r.Origin.File != "fuzz" || r.Origin.Index != next || r.Origin.Line < 1 {
				t.Fatalf("origin %+v, want file fuzz, index %d, a line", r.Origin, next)
			}
			next++
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) || de.Origin != r.Origin {
					t.Fatalf("error %v (%T) is not a *DecodeError at %+v", err, err, r.Origin)
				}
				if strings.HasPrefix(de.Err.Error(), ErrSyntax.Error()) {
					syntaxErrs++
				}
				continue
			}
			if !json.Valid(r.Raw) {
				t.Fatalf("Raw is not valid JSON: %q", r.Raw)
			}
			if want := jsonHeader(t, r.Raw); r.Header != want {
				t.Fatalf("header %+v, encoding/json reads %+v from %q", r.Header, want, r.Raw)
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(r.Raw, &keys); err != nil {
				t.Fatalf("Raw is not an object: %q", r.Raw)
			}
			if _, name := keys["eventName"]; !name {
				if _, src := keys["eventSource"]; !src {
					t.Fatalf("record has neither eventName nor eventSource: %q", r.Raw)
				}
			}
		}
		// Split uses the same grammar: if it accepts the input, the decoder found no syntax
		// error outside SQS message bodies.
		if !isGzip(data) && Split(data, func([]byte, int) bool { return true }) == nil && syntaxErrs != 0 {
			t.Fatalf("Split accepts the input but the decoder reported %d syntax errors", syntaxErrs)
		}
	})
}

// FuzzHeader checks the scanner against encoding/json on one value: both accept or reject
// it (except nesting past maxDepth), and the header fields captured from an object are the
// ones encoding/json reads.
func FuzzHeader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if !isGzip(s) {
			f.Add(s)
		}
	}
	f.Add([]byte(`"\ud800\udc00\u00e9\xff"`))
	f.Add([]byte(`{"eventName":-0.5e+3,"eventSource":"a\"b","errorCode":"\u0000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ok, serr := validOne(data)
		if want := json.Valid(data); ok != want {
			if !(want && serr != nil && strings.HasPrefix(serr.Msg, "nesting deeper")) {
				t.Fatalf("scanner says %v (%v), encoding/json says %v", ok, serr, want)
			}
		}
		if !ok {
			return
		}
		i := skipWS(data, 0)
		switch data[i] {
		case '"':
			var want string
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			end, esc, _ := scanString(data, i)
			body := data[i+1 : end-1]
			got := string(body)
			if needsUnquote(body, esc) {
				got = string(appendUnquoted(nil, body))
			}
			if got != want {
				t.Fatalf("string reads %q, encoding/json reads %q", got, want)
			}
		case '{':
			d := new(Decoder)
			d.start(func(Record, error) bool { return true })
			var fl, detail fields
			end, err := d.scanFields(data, i, 1, &fl, &detail, captureDetail, 0)
			if err != nil || skipWS(data, end) != len(data) {
				t.Fatalf("scanFields disagrees with scanValue: %v, end %d of %d", err, end, len(data))
			}
			if fl.dup >= 0 {
				return // ambiguous: rejected by the decoder, and encoding/json keeps the last
			}
			var rec Record
			d.header(data, &fl, &rec)
			if got, want := rec.Header, jsonHeader(t, data); got != want {
				t.Fatalf("header %+v, encoding/json reads %+v", got, want)
			}
			// A decoder whose Want declines reads the selection fields alike, and nothing else.
			d.Want = func(string, string) bool { return false }
			rec = Record{}
			d.header(data, &fl, &rec)
			if want := (Header{EventSource: rec.EventSource, EventName: rec.EventName}); !rec.Declined || rec.Header != want {
				t.Fatalf("declined header %+v (declined %v), want %+v", rec.Header, rec.Declined, want)
			}
			if jh := jsonHeader(t, data); rec.EventSource != jh.EventSource || rec.EventName != jh.EventName {
				t.Fatalf("declined header reads %q %q, encoding/json reads %q %q", rec.EventSource, rec.EventName, jh.EventSource, jh.EventName)
			}
		}
	})
}
