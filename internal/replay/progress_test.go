package replay

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	st := Stats{Files: 200, FilesDone: 100, Bytes: 1000, BytesDone: 250, Records: 1_500_000, Elapsed: 10 * time.Second}
	got := Line(st, 8)
	want := "[==>     ]  25%  100/200 files  1.50M records  150k rec/s  ETA 30s"
	if got != want {
		t.Fatalf("Line = %q\n  want %q", got, want)
	}
	st.FilesDone, st.BytesDone = 200, 1000
	if got := Line(st, 8); !strings.HasPrefix(got, "[========] 100%") || !strings.HasSuffix(got, "done in 10s") {
		t.Fatalf("finished: %q", got)
	}
}

func TestProgressThrottlesAndClears(t *testing.T) {
	var b strings.Builder
	p := &Progress{W: &b, Every: time.Hour}
	p.Update(Stats{Files: 3, FilesDone: 1, Bytes: 3, BytesDone: 1})
	p.Update(Stats{Files: 3, FilesDone: 2, Bytes: 3, BytesDone: 2}) // within Every: not drawn
	p.Update(Stats{Files: 3, FilesDone: 3, Bytes: 3, BytesDone: 3}) // the end is always drawn
	if n := strings.Count(b.String(), "\r\x1b[K["); n != 2 {
		t.Fatalf("drawn %d times: %q", n, b.String())
	}
	p.Clear()
	if !strings.HasSuffix(b.String(), "\r\x1b[K") {
		t.Fatalf("not cleared: %q", b.String())
	}
	var quiet strings.Builder
	(&Progress{W: &quiet}).Clear()
	if quiet.Len() != 0 {
		t.Fatalf("cleared a bar never drawn: %q", quiet.String())
	}
}
