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
// buffer the decoder reuses.

// maxGzipRatio bounds the buffer presized from a gzip trailer: deflate cannot expand more
// than about 1032:1, so a larger claim is a lie (or belongs to another member).
const maxGzipRatio = 1032

// gzipState is a reusable gzip reader and its source.
type gzipState struct {
	zr  gzip.Reader
	src bytes.Reader
}

// isGzip reports whether b starts with the gzip magic bytes.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// gunzip decompresses b (every member of a multi-member stream) into d.out and returns it.
// On error it returns what was decompressed before the error as well.
func (d *Decoder) gunzip(b []byte) ([]byte, error) {
	out := d.out[:0]
	if len(b) >= 18 {
		// The trailer's ISIZE is the (last member's) uncompressed size mod 2^32: a good hint.
		hint := int(binary.LittleEndian.Uint32(b[len(b)-4:]))
		hint = min(hint, len(b)*maxGzipRatio) + 1 // +1: room to see EOF without growing
		if cap(out) < hint {
			out = make([]byte, 0, hint)
		}
	}
	d.gz.src.Reset(b)
	err := d.gz.zr.Reset(&d.gz.src)
	if err == nil {
		out, err = readInto(out, &d.gz.zr)
	}
	d.out = out
	return out, err
}

// readInto appends everything r yields to buf, growing it as needed.
func readInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// gzipErr describes a gzip stream that failed after n decompressed bytes.
func gzipErr(err error, n int) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: gzip stream ends early, after %d decompressed bytes", ErrTruncated, n)
	}
	return fmt.Errorf("%w after %d decompressed bytes: %w", ErrCorrupt, n, err)
}
