package backtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"testing"
)

// FuzzDecodeBatch: any payload either decodes to a batch whose settings validate, with every
// item keyed and sized, or is refused; nothing panics.
func FuzzDecodeBatch(f *testing.F) {
	for _, seed := range []string{
		`{"Items":[{"Etag":"\"e\"","Key":"p/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/18/a.json.gz","LastModified":1710720000,"Size":12,"StorageClass":"STANDARD"}],"BatchInput":{"Settings":{"trail":"s3://b/p","run":"s3://r/x","start":"2024-03-18"}}}`,
		`{"Items":[{"Bucket":"b","Key":"p/a%20b.json","Size":"12","LastModifiedDate":"2024-03-18T00:00:00.000Z"}],"BatchInput":{"Settings":{"trail":"s3://b/p","run":"s3://r/x"}}}`,
		`{"Items":[{"Key":"a","Size":-1}],"BatchInput":{"Settings":{"trail":"s3://b","run":"s3://r"}}}`,
		`{"Items":[],"BatchInput":{}}`, `[]`, `{"Items":[{"Key":"a","Size":1e99}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		batch, err := DecodeBatch(b)
		if err != nil {
			return
		}
		if len(batch.Items) == 0 || batch.BatchInput.Settings.Validate() != nil {
			t.Fatalf("accepted %q", b)
		}
		for _, it := range batch.Items {
			if it.Key == "" || it.Size < 0 {
				t.Fatalf("accepted item %+v", it)
			}
		}
	})
}

// FuzzReadOutput: a file output that is not what a worker writes is refused with an error,
// never half-read; the reduce counts it as malformed, naming it.
func FuzzReadOutput(f *testing.F) {
	good, _ := json.Marshal(FileOutput{Version: OutputVersion, File: "f", Key: "k", RulesDigest: "d", Records: 3, Settled: 2, OutOfRange: 1})
	for _, seed := range [][]byte{good, []byte(`{"version":1,"key":"k","rules_digest":"d","records":1,"candidates":[null]}`),
		[]byte(`{"version":1,"key":"k","rules_digest":"d","records":1,"candidates":[{"outcome":"alerted"}]}`),
		[]byte(`{"version":1,"key":"k","rules_digest":"d","records":-1,"settled":-1,"candidates":[]}`)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		st := DirStore{Dir: t.TempDir()}
		if err := st.Put(context.Background(), "files/x/k", bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatal(err)
		}
		fo, err := readOutput(context.Background(), st, "files/x/k", "d")
		if err != nil {
			return
		}
		if fo.Settled+fo.OutOfRange+len(fo.Candidates) != fo.Records || fo.Records < 0 {
			t.Fatalf("accepted inconsistent output %q", b)
		}
		for _, c := range fo.Candidates {
			if c == nil {
				t.Fatalf("accepted a null candidate: %q", b)
			}
		}
	})
}
