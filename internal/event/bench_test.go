package event

import (
	"github.com/trailhound/trailhound/internal/testutil"

	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// benchRecords is how many records each benchmark input holds.
const benchRecords = 1000

// benchInputs builds the benchmark inputs from testdata/bench-record.json, a realistic ~2 KB
// record. Each copy gets its own ids, keys, address, time, user and action, so the inputs
// compress about as well as a real trail's log files (about 10:1), not like one record
// repeated.
func benchInputs(b *testing.B) map[string][]byte {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("testdata", "bench-record.json"))
	if err != nil {
		b.Fatal(err)
	}
	rec = bytes.TrimSpace(rec)
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hex := func(n int) string {
		var s []byte
		for range n {
			s = append(s, "0123456789abcdef"[rng.IntN(16)])
		}
		return string(s)
	}
	uuid := func() string { return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12) }
	key := func(prefix string) string {
		s := []byte(prefix)
		for range 16 {
			s = append(s, alnum[rng.IntN(len(alnum))])
		}
		return string(s)
	}
	names := []string{"UpdateAccessKey", "CreateAccessKey", "DeleteAccessKey", "UpdateUser", "ListAccessKeys", "GetUser", "AttachUserPolicy", "TagUser"}
	users := []string{"deploy-bot", "alice", "bob", "ci-runner", "backup-svc", "carol", "terraform", "dave"}
	recs := make([][]byte, benchRecords)
	for i := range recs {
		r := strings.NewReplacer(
			"8e5c2a71-4d3b-4f6e-a0c9-7b1e2d3f4a5b", uuid(),
			"3f0d9c5e-6b1a-4c8e-9f27-2b7c1d4e5a60", uuid(),
			"198.51.100.23", fmt.Sprintf("%d.%d.%d.%d", 1+rng.IntN(223), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)),
			"AKIAEXAMPLEDEPLOYKEY", key("AKIA"),
			"ASIAEXAMPLEACCESSKEY", key("ASIA"),
			"deploy-bot", users[rng.IntN(len(users))],
			"UpdateAccessKey", names[rng.IntN(len(names))],
			"09:31:07Z", fmt.Sprintf("%02d:%02d:%02dZ", i/3600%24, i/60%60, i%60),
		).Replace(string(rec))
		recs[i] = []byte(r)
	}
	jsonl := append(bytes.Join(recs, []byte("\n")), '\n')
	logFile := testutil.Records(recs...)
	return map[string][]byte{"jsonl": jsonl, "logfile": logFile, "logfile-gz": testutil.Gzip(b, logFile)}
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

// BenchmarkDecode measures decoding per record: header fields read, envelope classified.
// The first three reuse one Decoder across inputs, as a replay does; "oneshot" is the
// package-level RecordsBytes, with fresh buffers (and gzip state) per input.
func BenchmarkDecode(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range []string{"jsonl", "logfile", "logfile-gz", "logfile-gz-oneshot", "logfile-declined"} {
		in := inputs[strings.TrimSuffix(strings.TrimSuffix(name, "-oneshot"), "-declined")]
		b.Run(name, func(b *testing.B) {
			var dec Decoder
			decode := dec.RecordsBytes
			if strings.HasSuffix(name, "-oneshot") {
				decode = RecordsBytes
			}
			if strings.HasSuffix(name, "-declined") {
				// As a replay decodes: Want declines the records no rule selects.
				dec.Want = func(string, string) bool { return false }
			}
			b.SetBytes(int64(len(in)))
			var m0 runtime.MemStats
			runtime.ReadMemStats(&m0)
			iters := 0
			for b.Loop() {
				n := 0
				for _, err := range decode("bench", in) {
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

// BenchmarkPaths measures replay of gzipped log files from disk through a Decoder's Paths,
// which reuses its buffers across files (and here across iterations, as a long replay does).
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
	var dec Decoder
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	iters := 0
	for b.Loop() {
		n := 0
		for _, err := range dec.Paths([]string{dir}, nil) {
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
					if out, err = readInto(out[:0], &zr, DefaultMaxInput); err != nil {
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

// BenchmarkReplayFloor alternates, on the same input, the floor (gunzip into a reused buffer
// when the input is gzip, then Split) and a replay decode (a reused Decoder), and reports both
// per record and decode's speed as a fraction of the floor's. Alternating keeps the ratio fair
// on a machine whose load changes during the run.
func BenchmarkReplayFloor(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range []string{"jsonl", "logfile", "logfile-gz"} {
		in := inputs[name]
		b.Run(name, func(b *testing.B) {
			var dec Decoder
			var zr gzip.Reader
			var src bytes.Reader
			var out []byte
			var floor, decode time.Duration
			iters := 0
			for b.Loop() {
				t0 := time.Now()
				data := in
				if isGzip(in) {
					src.Reset(in)
					if err := zr.Reset(&src); err != nil {
						b.Fatal(err)
					}
					var err error
					if out, err = readInto(out[:0], &zr, DefaultMaxInput); err != nil {
						b.Fatal(err)
					}
					data = out
				}
				n := 0
				if err := Split(data, func([]byte, int) bool { n++; return true }); err != nil || n != benchRecords {
					b.Fatalf("split: %d records, %v", n, err)
				}
				t1 := time.Now()
				n = 0
				for _, err := range dec.RecordsBytes("bench", in) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != benchRecords {
					b.Fatalf("decode: %d records", n)
				}
				floor += t1.Sub(t0)
				decode += time.Since(t1)
				iters++
			}
			n := float64(iters * benchRecords)
			b.ReportMetric(float64(floor.Nanoseconds())/n, "floor-ns/record")
			b.ReportMetric(float64(decode.Nanoseconds())/n, "decode-ns/record")
			b.ReportMetric(float64(floor)/float64(decode), "x-floor-speed")
		})
	}
}
