package replay

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress draws a one-line progress bar (files, records, records/s, ETA) on a terminal,
// redrawn at most every Every. Use it only when the writer is a terminal: it moves the cursor
// with carriage returns and an erase-line sequence.
type Progress struct {
	W     io.Writer
	Every time.Duration // 0 means 200ms
	last  time.Time
	drawn bool
}

// Update redraws the bar when Every has passed since the last draw, and at the end.
func (p *Progress) Update(st Stats) {
	every := p.Every
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	now := time.Now()
	if st.FilesDone < st.Files && now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.drawn = true
	fmt.Fprintf(p.W, "\r\x1b[K%s", Line(st, 24))
}

// Clear erases the bar, so the outcome summary starts on a clean line.
func (p *Progress) Clear() {
	if p.drawn {
		fmt.Fprint(p.W, "\r\x1b[K")
	}
}

// Line is the progress bar's text: "[=====>    ]  45%  90/200 files  1.2M records  210k rec/s  ETA 42s".
// Progress is measured in bytes (compressed, as stored), which is what a file costs to read.
func Line(st Stats, width int) string {
	frac := 1.0
	if st.Bytes > 0 {
		frac = float64(st.BytesDone) / float64(st.Bytes)
	}
	fill := int(frac * float64(width))
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	secs := st.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(st.Records) / secs
	}
	eta := "ETA -"
	if st.BytesDone > 0 && st.BytesDone < st.Bytes {
		left := time.Duration(float64(st.Elapsed) * float64(st.Bytes-st.BytesDone) / float64(st.BytesDone))
		eta = "ETA " + left.Round(time.Second).String()
	} else if st.FilesDone == st.Files {
		eta = "done in " + st.Elapsed.Round(10*time.Millisecond).String()
	}
	return fmt.Sprintf("[%s] %3.0f%%  %d/%d files  %s records  %s rec/s  %s", bar, frac*100, st.FilesDone, st.Files, count(float64(st.Records)), count(rate), eta)
}

// count formats n with a k or M suffix.
func count(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", n/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}
