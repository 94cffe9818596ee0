package event

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// This file is the strict JSON grammar the decoder is built on: allocation-free scanners that
// return the offset just past a value, or a *syntaxError. They accept exactly what
// encoding/json's Valid accepts (RFC 8259, any bytes >= 0x20 inside strings), except that
// nesting deeper than maxDepth is refused.

// maxDepth bounds the nesting of objects and arrays; deeper input is malformed for us (no
// CloudTrail record comes close) and would otherwise let an input exhaust the stack.
const maxDepth = 256

// syntaxError is a grammar violation at byte offset Off of the scanned buffer. EOF is set
// when the input ended inside a value (a truncated input rather than a bad byte).
type syntaxError struct {
	Off int
	Msg string
	EOF bool
}

func (e *syntaxError) Error() string { return e.Msg }

func errAt(b []byte, off int, what string) *syntaxError {
	if off >= len(b) {
		return &syntaxError{Off: len(b), Msg: "unexpected end of input " + what, EOF: true}
	}
	return &syntaxError{Off: off, Msg: fmt.Sprintf("invalid character %s %s", quoteByte(b[off]), what)}
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f && c != '\'' {
		return "'" + string(rune(c)) + "'"
	}
	return fmt.Sprintf("0x%02x", c)
}

// skipWS returns the offset of the first non-whitespace byte at or after i.
func skipWS(b []byte, i int) int {
	for i < len(b) {
		c := b[i]
		if c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
			return i
		}
		i++
	}
	return i
}

// strPlain[c] is true for bytes that need no attention inside a string.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// special returns a mask whose lowest set bit marks the first byte of x (little-endian) that is
// a quote, a backslash or a control character; 0 when there is none. Flipping bit 1 of every
// byte maps '"' (0x22) to 0x20 and keeps 0x00-0x1f below 0x20 while no other byte lands below
// 0x21, so one "byte < 0x21" test finds quotes and control characters; a second finds
// backslashes. Higher bits may be false positives (borrow propagation), which is why only the
// lowest one is used.
func special(x uint64) uint64 {
	q := x ^ (lsb * 0x02)
	s := x ^ (lsb * '\\')
	return ((q - lsb*0x21) &^ q & msb) | ((s - lsb) &^ s & msb)
}

// scanString scans the string starting at b[i] == '"' and returns the offset past its closing
// quote and whether it holds escapes.
func scanString(b []byte, i int) (end int, esc bool, err *syntaxError) {
	i++
	for {
		for i+8 <= len(b) {
			if m := special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, esc, errAt(b, i, "in string literal")
		}
		switch c := b[i]; c {
		case '"':
			return i + 1, esc, nil
		case '\\':
			esc = true
			if i+1 >= len(b) {
				return i, esc, errAt(b, i+1, "in string escape code")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := i + 2; k < i+6; k++ {
					if k >= len(b) || !isHex(b[k]) {
						return i, esc, errAt(b, k, "in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				return i, esc, errAt(b, i+1, "in string escape code")
			}
		default:
			return i, esc, errAt(b, i, "in string literal")
		}
	}
}

func isHex(c byte) bool {
	return c-'0' < 10 || (c|0x20)-'a' < 6
}

func isDigit(c byte) bool { return c-'0' < 10 }

// scanNumber scans a JSON number starting at b[i].
func scanNumber(b []byte, i int) (int, *syntaxError) {
	end, problem := NumberEnd(b, i)
	if problem != "" {
		return end, errAt(b, end, problem)
	}
	return end, nil
}

// scanLiteral scans true, false or null starting at b[i].
func scanLiteral(b []byte, i int, lit string) (int, *syntaxError) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) || b[i+k] != lit[k] {
			return i + k, errAt(b, i+k, "in literal "+lit+" (expecting '"+lit[k:k+1]+"')")
		}
	}
	return i + len(lit), nil
}

// scanValue scans any JSON value starting at b[i] (no leading whitespace); depth is the number
// of objects and arrays enclosing it.
func scanValue(b []byte, i, depth int) (int, *syntaxError) {
	if i >= len(b) {
		return i, errAt(b, i, "looking for beginning of value")
	}
	switch c := b[i]; c {
	case '"':
		end, _, err := scanString(b, i)
		return end, err
	case '{':
		return scanObject(b, i, depth+1)
	case '[':
		return scanArray(b, i, depth+1)
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	default:
		if c == '-' || isDigit(c) {
			return scanNumber(b, i)
		}
		return i, errAt(b, i, "looking for beginning of value")
	}
}

func tooDeep(i int) *syntaxError {
	return &syntaxError{Off: i, Msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
}

// scanObject scans the object starting at b[i] == '{' whose own depth is depth.
func scanObject(b []byte, i, depth int) (int, *syntaxError) {
	if depth > maxDepth {
		return i, tooDeep(i)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(b, i, "looking for beginning of object key string")
		}
		var err *syntaxError
		if i, _, err = scanString(b, i); err != nil {
			return i, err
		}
		if i = skipWS(b, i); i >= len(b) || b[i] != ':' {
			return i, errAt(b, i, "after object key")
		}
		if i, err = scanValue(b, skipWS(b, i+1), depth); err != nil {
			return i, err
		}
		if i = skipWS(b, i); i < len(b) {
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
				continue
			case '}':
				return i + 1, nil
			}
		}
		return i, errAt(b, i, "after object key:value pair")
	}
}

// scanArray scans the array starting at b[i] == '[' whose own depth is depth.
func scanArray(b []byte, i, depth int) (int, *syntaxError) {
	if depth > maxDepth {
		return i, tooDeep(i)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err *syntaxError
		if i, err = scanValue(b, i, depth); err != nil {
			return i, err
		}
		if i = skipWS(b, i); i < len(b) {
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
				continue
			case ']':
				return i + 1, nil
			}
		}
		return i, errAt(b, i, "after array element")
	}
}

// kindOf names the JSON type of the value starting with c, for messages.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
