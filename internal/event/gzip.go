package event

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// This file decompresses gzip inputs (CloudTrail delivers its log files as .json.gz) into a
// buffer the decoder reuses, and bounds every input the decoder holds in memory.

// DefaultMaxInput is the largest input the decoder holds, in bytes after decompression, when
// Decoder.MaxInput is zero: 128 MiB, several times the largest CloudTrail log file (CloudTrail
// starts a new file every few minutes) and well inside a Lambda or a laptop. An input that
// would exceed it (a gzip bomb, a runaway stdin) is refused whole with ErrTooLarge, and the
// decoder goes on with the next input.
const DefaultMaxInput = 128 << 20

// hintRatio bounds the buffer presized for a gzip input: at most hintRatio times the
// compressed size (CloudTrail JSON compresses about 10-20:1). The trailer's ISIZE is a claim
// written by whoever made the file, so it only ever lowers the presize; a larger real output
// grows the buffer as it is decompressed, under the cap.
const hintRatio = 32

// minGrow is the smallest buffer readInto allocates.
const minGrow = 4096

// gzipState is a reusable gzip reader and its source.
type gzipState struct {
	zr  gzip.Reader
	src bytes.Reader
}

// isGzip reports whether b starts with the gzip magic bytes.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// maxInput is the cap on one input, in bytes.
func (d *Decoder) maxInput() int {
	if d.MaxInput > 0 {
		return d.MaxInput
	}
	return DefaultMaxInput
}

// gunzip decompresses b (every member of a multi-member stream) into d.out and returns it.
// On error it returns what was decompressed before the error as well. Output past
// d.maxInput() bytes is an error wrapping ErrTooLarge, and d.out is then released, so a bomb
// does not keep a buffer alive.
//
// Memory never follows a claim: the buffer is first sized from the trailer's ISIZE but at
// most hintRatio times the compressed size. When the output turns out larger, the rest of the
// stream is decompressed once more only to count it (into nothing), and then, if it is under
// the cap, the whole stream is decompressed again into a buffer of exactly its size. So a gzip
// bomb costs CPU up to the cap and at most hintRatio x its compressed size of memory, and an
// honest input is held once, at its size, without the copies of a growing buffer.
func (d *Decoder) gunzip(b []byte) ([]byte, error) {
	limit := d.maxInput()
	hint := minGrow
	if len(b) >= 18 {
		// The trailer's ISIZE is the (last member's) uncompressed size mod 2^32: a hint.
		isize := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
		hint = max(hint, min(isize, len(b)*hintRatio))
	}
	hint = min(hint, limit) + 1 // +1: room to see EOF without growing
	out := d.out[:0]
	if cap(out) < hint {
		// An eighth more, within the same bounds, so that the next inputs of about this
		// size (a trail's log files) reuse the buffer instead of each allocating its own.
		out = make([]byte, 0, max(hint, min(hint+hint/8, len(b)*hintRatio+1, limit+1)))
	}
	if err := d.resetGzip(b); err != nil {
		d.out = out
		return out, err
	}
	out, err := fill(out, &d.gz.zr)
	if err != nil || len(out) < cap(out) {
		d.out = out
		return out, err
	}
	// The buffer is full and the stream goes on: count the rest, up to the cap.
	rest, _ := io.CopyN(io.Discard, &d.gz.zr, int64(limit-len(out))+1)
	total := len(out) + int(rest)
	out, d.out = nil, nil
	if total > limit {
		return nil, ErrTooLarge
	}
	out = make([]byte, 0, total+1)
	if err := d.resetGzip(b); err != nil {
		return nil, err
	}
	out, err = readInto(out, &d.gz.zr, limit)
	d.out = out
	return out, err
}

// resetGzip points the reusable gzip reader at b.
func (d *Decoder) resetGzip(b []byte) error {
	d.gz.src.Reset(b)
	return d.gz.zr.Reset(&d.gz.src)
}

// fill reads r into buf until buf is full, r ends (nil error) or fails.
func fill(buf []byte, r io.Reader) ([]byte, error) {
	for len(buf) < cap(buf) {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// readInto appends everything r yields to buf, growing it as needed (doubling, never past
// limit+1 bytes). When r holds more than limit bytes it stops and returns an error wrapping
// ErrTooLarge, having held at most limit+1 of them.
func readInto(buf []byte, r io.Reader, limit int) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), min(max(2*cap(buf), minGrow), limit+1))
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return buf, ErrTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// sizeString writes a byte count for a message: "128 MiB", "1.5 KiB", "12 bytes".
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// tooLarge is the error for an input refused by the cap limit; what says what was too large.
func tooLarge(what string, limit int) error {
	return fmt.Errorf("%w: %s more than %s (the input cap); refused, not decoded", ErrTooLarge, what, sizeString(limit))
}

// gzipErr describes a gzip stream that failed after n decompressed bytes.
func gzipErr(err error, n int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: gzip stream ends early, after %d decompressed bytes", ErrTruncated, n)
	}
	return fmt.Errorf("%w after %d decompressed bytes: %w", ErrCorrupt, n, err)
}
