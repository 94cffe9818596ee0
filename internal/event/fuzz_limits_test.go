package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailhound/trailhound/internal/testutil"
)

// fuzzMaxInput is the cap FuzzGzipLimits decodes under: small, so that the fuzzer reaches it.
const fuzzMaxInput = 64 << 10

// FuzzGzipLimits decompresses arbitrary bytes (and arbitrary bytes made into a valid gzip
// stream, with a forged trailer) under a 64 KiB cap. Whatever the stream claims, the decoder
// holds at most cap+1 decompressed bytes or hintRatio x the input, refuses with ErrTooLarge
// exactly when the real output is over the cap (and then yields nothing else), and otherwise
// decodes the same bytes as a plain gzip reader.
func FuzzGzipLimits(f *testing.F) {
	f.Add([]byte(recA), uint32(0), false)
	f.Add(testutil.Gzip(f, []byte(recA+"\n"+recB)), uint32(0), false)
	f.Add(testutil.Gzip(f, testutil.Records([]byte(recA))), uint32(0), false)
	f.Add(bytes.Repeat([]byte(" "), fuzzMaxInput), uint32(0xffffffff), true)
	f.Add(bytes.Repeat([]byte(" "), fuzzMaxInput+1), uint32(7), true)
	f.Add([]byte(recA), uint32(1<<31), true)
	f.Add(append(testutil.Gzip(f, []byte(recA)), testutil.Gzip(f, []byte(recB))...), uint32(3), false)
	f.Fuzz(func(t *testing.T, data []byte, isize uint32, compress bool) {
		in := data
		if compress {
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			_, _ = w.Write(data)
			_ = w.Close()
			in = buf.Bytes()
			if isize != 0 {
				in[len(in)-4], in[len(in)-3], in[len(in)-2], in[len(in)-1] = byte(isize), byte(isize>>8), byte(isize>>16), byte(isize>>24)
			}
		}
		d := &Decoder{MaxInput: fuzzMaxInput}
		res := collect(t, d.RecordsBytes("f.json.gz", in))
		if limit := max(fuzzMaxInput+1, len(in)*hintRatio+1, minGrow+1); cap(d.out) > limit {
			t.Fatalf("the decoder holds %d bytes for a %d-byte input under a %d-byte cap", cap(d.out), len(in), fuzzMaxInput)
		}
		if !isGzip(in) || len(in) > fuzzMaxInput {
			return
		}
		// The reference: a plain gzip reader, read one byte past the cap.
		zr, err := gzip.NewReader(bytes.NewReader(in))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(zr, fuzzMaxInput+1))
		}
		tooLarge := len(want) > fuzzMaxInput
		refused := len(res.errs) > 0 && errors.Is(res.errs[0], ErrTooLarge)
		if tooLarge != refused {
			t.Fatalf("real output %d bytes (cap %d), refused %v: %v", len(want), fuzzMaxInput, refused, res.errs)
		}
		if refused && (len(res.recs) != 0 || len(res.errs) != 1) {
			t.Fatalf("a refused input also yielded %d records and %d errors", len(res.recs), len(res.errs))
		}
		if !refused && err == nil && !isGzip(want) { // (the decoder decompresses one level only)
			plain := collect(t, RecordsBytes("f.json", want))
			if len(plain.recs) != len(res.recs) {
				t.Fatalf("%d records from the gzip input, %d from its plain bytes", len(res.recs), len(plain.recs))
			}
		}
	})
}

// FuzzEnvelope builds EventBridge events from arbitrary source, account, eventSource and
// recipientAccountId values (any of them may be missing or not a string) and checks the
// decoder against the rule, computed with encoding/json: the record is admitted exactly when
// source is the AWS source of eventSource (event.AWSSource) and account is a non-empty string
// equal to recipientAccountId when the record has that key; otherwise it is refused as a
// forged envelope, alone, and the records around it are decoded.
func FuzzEnvelope(f *testing.F) {
	f.Add("aws.iam", "111122223333", "iam.amazonaws.com", "111122223333", uint8(0))
	f.Add("aws.iam", "111122223333", "iam.amazonaws.com", "999988887777", uint8(0))
	f.Add("com.attacker", "111122223333", "iam.amazonaws.com", "111122223333", uint8(0))
	f.Add("aws.lambda", "111122223333", "iam.amazonaws.com", "111122223333", uint8(0))
	f.Add("aws.cloudwatch", "1", "monitoring.amazonaws.com", "1", uint8(0))
	f.Add("aws.iam", "", "iam.amazonaws.com", "", uint8(0))
	f.Add("aws.iam", "111122223333", "iam.amazonaws.com", "", uint8(8))  // no recipientAccountId
	f.Add("aws.iam", "111122223333", "iam.amazonaws.com", "x", uint8(1)) // source a number
	f.Add("aws.iam", "111122223333", "iam.amazonaws.com", "x", uint8(2)) // account a number
	f.Add("aws.iam", "111122223333", "iam.amazonaws.com", "x", uint8(4)) // no source
	f.Add("aws.i\x00am", "1\u2028", "iam.amazonaws.com\\", "1\u2028", uint8(16))
	f.Fuzz(func(t *testing.T, source, account, eventSource, rid string, shape uint8) {
		detail := map[string]any{"eventVersion": "1.08", "eventName": "UpdateAccessKey", "eventSource": eventSource, "eventID": "e-1", "recipientAccountId": rid}
		env := map[string]any{"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": source, "account": account, "detail": detail}
		if shape&1 != 0 {
			env["source"] = 7
		}
		if shape&2 != 0 {
			env["account"] = 7
		}
		if shape&4 != 0 {
			delete(env, "source")
		}
		if shape&8 != 0 {
			delete(detail, "recipientAccountId")
		}
		b, err := json.Marshal(env)
		if err != nil {
			return
		}
		if shape&16 != 0 { // the same event with every value escaped
			b = bytes.ReplaceAll(b, []byte("a"), []byte(`\u0061`))
			if !json.Valid(b) {
				return
			}
		}
		// The rule, on what encoding/json reads.
		var got struct {
			Source  any `json:"source"`
			Account any `json:"account"`
			Detail  struct {
				EventSource any `json:"eventSource"`
				RID         any `json:"recipientAccountId"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		src, _ := got.Source.(string)
		acct, acctOK := got.Account.(string)
		es, _ := got.Detail.EventSource.(string)
		want, known := AWSSource(es)
		admit := got.Source != nil && known && src == want && acctOK && acct != "" && (shape&8 != 0 || acct == got.Detail.RID)
		if _, isStr := got.Source.(string); !isStr {
			admit = false
		}
		res := decodeString(t, "env", recA+"\n"+string(b)+"\n"+recB)
		var n int
		for _, r := range res.recs {
			if r.EventID == "e-1" {
				n++
			}
		}
		switch {
		case admit && (n != 1 || len(res.errs) != 0):
			t.Fatalf("%s: want admitted; %d records, errors %v", b, n, res.errs)
		case !admit && (n != 0 || len(res.errs) != 1 || !errors.Is(res.errs[0], ErrForgedEnvelope) && !strings.Contains(res.errs[0].Error(), "not a CloudTrail record")):
			t.Fatalf("%s: want refused as forged; %d records, errors %v", b, n, res.errs)
		}
		if len(res.recs) != 2+n {
			t.Fatalf("%s: the records around it were lost: %d records", b, len(res.recs))
		}
	})
}
