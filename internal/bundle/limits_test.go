package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// appendEntries re-packs b with extra entries of size bytes each (zeros, which compress to
// almost nothing: a bomb), after b's own entries or, with first, before them.
func appendEntries(t testing.TB, b []byte, n int, size int64, first bool) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	bombs := func() {
		for i := range n {
			if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("/teams/payments/pad%02d.rego", i), Mode: 0o600, Size: size, Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyN(tw, zeros{}, size); err != nil {
				t.Fatal(err)
			}
		}
	}
	if first {
		bombs()
	}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if !first {
		bombs()
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// allocated runs f and returns the bytes it allocated (runtime.MemStats.TotalAlloc: counted,
// not timed, so the verdict does not depend on machine speed).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBundleBombRefusedBeforeBuffering: a signed bundle plus unsigned 30 MB entries is
// refused having allocated a small fraction of their size: at the first unsigned entry's
// header when the signature comes before them (Write puts it first), else by the size cap
// once they add up past it.
func TestBundleBombRefusedBeforeBuffering(t *testing.T) {
	kp := rsaPair(t)
	signed := write(t, kp.private, "r1")
	const n, size = 8, 30 << 20
	for _, first := range []bool{false, true} {
		bomb := appendEntries(t, signed, n, size, first)
		var err error
		got := allocated(func() { _, err = Read(bytes.NewReader(bomb), "s3://b/k", Options{Key: kp.public}) })
		want, reason := "teams/payments/pad00.rego not included in bundle signature", ReasonUnsigned
		if first {
			want, reason = "teams/payments/pad01.rego: entry of 31457280 bytes takes the bundle over", ReasonTooLarge
		}
		if err == nil || !strings.Contains(err.Error(), want) || RefusalReason(err) != reason {
			t.Fatalf("bombs first=%v: err = %v (reason %s)", first, err, RefusalReason(err))
		}
		if got > 16<<20 {
			t.Errorf("bombs first=%v: reading allocated %d MB for %d MB of unsigned entries", first, got>>20, n*size>>20)
		}
	}
}

// TestBundleTotalSizeAndEntryCaps: without a key (unsigned entries are not the question),
// the sum of the files is capped, not only each file, and so is the number of entries.
func TestBundleTotalSizeAndEntryCaps(t *testing.T) {
	unsigned := write(t, nil, "r1")
	big := appendEntries(t, unsigned, 3, 600<<10, false) // each under the cap, together over it
	_, err := Read(bytes.NewReader(big), "s3://b/k", Options{MaxBytes: 1 << 20})
	if err == nil || RefusalReason(err) != ReasonTooLarge || !strings.Contains(err.Error(), "bundle s3://b/k: teams/payments/pad01.rego") {
		t.Fatalf("total size: err = %v (reason %s)", err, RefusalReason(err))
	}
	var got uint64
	bomb := appendEntries(t, unsigned, 8, 30<<20, false)
	got = allocated(func() { _, err = Read(bytes.NewReader(bomb), "s3://b/k", Options{}) })
	if RefusalReason(err) != ReasonTooLarge || got > 16<<20 {
		t.Fatalf("240 MB unsigned bundle: err = %v, allocated %d MB", err, got>>20)
	}
	many := appendEntries(t, unsigned, 50, 0, false)
	_, err = Read(bytes.NewReader(many), "s3://b/k", Options{MaxEntries: 40})
	if err == nil || RefusalReason(err) != ReasonTooMany || !strings.Contains(err.Error(), "more than 40 entries") {
		t.Fatalf("entry count: err = %v", err)
	}
	if _, err := Read(bytes.NewReader(unsigned), "s3://b/k", Options{MaxEntries: 40}); err != nil {
		t.Fatalf("a bundle within the limits: %v", err)
	}
}

// FuzzRead: any bytes read as a bundle either read or are refused with a reason; never a
// panic, and never more than the caps' worth of memory (seeds: a signed and an unsigned
// bundle, one with extra entries, and a truncated one; CI runs the seeds).
func FuzzRead(f *testing.F) {
	kp := rsaPair(f)
	signed := write(f, kp.private, "r1")
	unsigned := write(f, nil, "r1")
	f.Add(signed, true)
	f.Add(unsigned, false)
	f.Add(appendEntries(f, unsigned, 3, 1<<10, true), false)
	f.Add(signed[:len(signed)/2], true)
	f.Fuzz(func(t *testing.T, b []byte, withKey bool) {
		opts := Options{MaxBytes: 1 << 20, MaxEntries: 64}
		if withKey {
			opts.Key = kp.public
		}
		c, err := Read(bytes.NewReader(b), "fuzz", opts)
		if err == nil && (c == nil || len(c.Sources) == 0) {
			t.Fatal("no error and no team pack")
		}
		if err != nil && RefusalReason(err) == "" {
			t.Fatalf("refusal without a reason: %v", err)
		}
	})
}
