package event

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel causes wrapped by the Err of every *DecodeError the decoder yields, for errors.Is.
var (
	// ErrSyntax: the input is not well-formed JSON (or nests deeper than 256 levels).
	ErrSyntax = errors.New("malformed JSON")
	// ErrNotRecord: a well-formed item is none of the recognised shapes.
	ErrNotRecord = errors.New("not a CloudTrail record, EventBridge event or SQS message")
	// ErrDetailType: an EventBridge event whose detail-type does not carry a CloudTrail record.
	ErrDetailType = errors.New("unsupported EventBridge detail-type")
	// ErrDuplicateKey: an item repeats a key the decoder reads, so parsers could disagree on it.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrTruncated: the input (a gzip stream, a read) ended early; what came before was decoded.
	ErrTruncated = errors.New("input truncated")
	// ErrCorrupt: a gzip stream is damaged (bad checksum, bad deflate data, trailing garbage);
	// what was decompressed before the damage was decoded.
	ErrCorrupt = errors.New("corrupt gzip stream")
	// ErrRead: a path or stream could not be read.
	ErrRead = errors.New("cannot read input")
	// ErrTooLarge: an input is larger than the decoder's cap (Decoder.MaxInput), before or
	// after decompression; it was refused whole and not decoded.
	ErrTooLarge = errors.New("input too large")
)

// maxQuoted bounds how much of an input value an error message repeats.
const maxQuoted = 80

// quoteValue quotes an input value for an error message, escaping it and cutting it short:
// input values are attacker-controlled and must not reach a terminal or log raw.
func quoteValue(b []byte) string {
	if len(b) > maxQuoted {
		return strconv.Quote(string(b[:maxQuoted])) + "..."
	}
	return strconv.Quote(string(b))
}

// syntaxErr describes a syntax error at offset e.Off of b, in an item starting at offset
// start on line startLine.
func syntaxErr(b []byte, e *syntaxError, start, startLine int) error {
	line, col := startLine, 1
	if e.Off >= start && e.Off <= len(b) {
		lineStart := start
		for k := start; k < e.Off; k++ {
			if b[k] == '\n' {
				line++
				lineStart = k + 1
			}
		}
		// Columns of the item's first line count from the item start, not the line start;
		// find the real line start for them.
		if line == startLine {
			for lineStart > 0 && b[lineStart-1] != '\n' {
				lineStart--
			}
		}
		col = e.Off - lineStart + 1
	}
	return fmt.Errorf("%w: %s (line %d, column %d)", ErrSyntax, e.Msg, line, col)
}

// readErr wraps an I/O error reading an input.
func readErr(err error) error { return fmt.Errorf("%w: %w", ErrRead, err) }
