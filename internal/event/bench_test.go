package event

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// benchRecords is how many records each benchmark input holds.
const benchRecords = 1000

// benchInputs builds the benchmark inputs from testdata/bench-record.json, a realistic ~2 KB
// record, varied per record so eventID and eventTime differ as in a real trail.
func benchInputs(b *testing.B) map[string][]byte {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("testdata", "bench-record.json"))
	if err != nil {
		b.Fatal(err)
	}
	rec = bytes.TrimSpace(rec)
	recs := make([][]byte, benchRecords)
	for i := range recs {
		r := bytes.Replace(rec, []byte("7b1e2d3f4a5b"), fmt.Appendf(nil, "%012d", i), 1)
		recs[i] = bytes.Replace(r, []byte("09:31:07Z"), fmt.Appendf(nil, "%02d:%02d:%02dZ", i/3600%24, i/60%60, i%60), 1)
	}
	jsonl := append(bytes.Join(recs, []byte("\n")), '\n')
	logFile := records(recs...)
	return map[string][]byte{"jsonl": jsonl, "logfile": logFile, "logfile-gz": gz(b, logFile)}
}

// reportPerRecord adds ns/record and allocs/record to a benchmark that decoded
// benchRecords records per iteration, iters times.
func reportPerRecord(b *testing.B, iters int, m0 *runtime.MemStats) {
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	n := float64(iters * benchRecords)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/record")
}

// BenchmarkDecode measures RecordsBytes per record: header fields read, envelope classified,
// one decoder (and, for gzip, one decompression buffer) per input.
func BenchmarkDecode(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range []string{"jsonl", "logfile", "logfile-gz"} {
		in := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			iters := 0
			for b.Loop() {
				n := 0
				for _, err := range RecordsBytes("bench", in) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != benchRecords {
					b.Fatalf("%d records", n)
				}
				iters++
			}
			reportPerRecord(b, iters, &m0)
		})
	}
}

// BenchmarkPaths measures replay of gzipped log files through Paths, which reuses its buffers
// across files.
func BenchmarkPaths(b *testing.B) {
	in := benchInputs(b)["logfile-gz"]
	dir := b.TempDir()
	const files = 4
	for i := range files {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json.gz", i)), in, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(files * len(in)))
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	iters := 0
	for b.Loop() {
		n := 0
		for _, err := range Paths([]string{dir}, nil) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != files*benchRecords {
			b.Fatalf("%d records", n)
		}
		iters += files
	}
	reportPerRecord(b, iters, &m0)
}

// BenchmarkSplit is the floor the decoder is measured against: decompress (into a reused
// buffer, with the same gzip package) and split into records, reading nothing else.
func BenchmarkSplit(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range []string{"jsonl", "logfile", "logfile-gz"} {
		in := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			var zr gzip.Reader
			var src bytes.Reader
			var out []byte
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			iters := 0
			for b.Loop() {
				data := in
				if isGzip(in) {
					src.Reset(in)
					if err := zr.Reset(&src); err != nil {
						b.Fatal(err)
					}
					var err error
					if out, err = readInto(out[:0], &zr); err != nil {
						b.Fatal(err)
					}
					data = out
				}
				n := 0
				if err := Split(data, func([]byte, int) bool { n++; return true }); err != nil || n != benchRecords {
					b.Fatalf("%d records, %v", n, err)
				}
				iters++
			}
			reportPerRecord(b, iters, &m0)
		})
	}
}
