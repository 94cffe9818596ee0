package event

import (
	"encoding/binary"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// appendUnquoted appends the decoded contents of the JSON string body s (the bytes between the
// quotes, already validated by scanString) to dst. It follows encoding/json exactly: a \u
// surrogate pair becomes one rune, a lone surrogate and every byte of invalid UTF-8 become
// U+FFFD. It is only called for strings with escapes or non-UTF-8 bytes; plain strings are
// used in place.
func appendUnquoted(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch e := s[r+1]; e {
			case 'u':
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if rr1 := getu4(s[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
							r += 6
							dst = utf8.AppendRune(dst, dec)
							break
						}
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
			case 'b':
				dst, r = append(dst, '\b'), r+2
			case 'f':
				dst, r = append(dst, '\f'), r+2
			case 'n':
				dst, r = append(dst, '\n'), r+2
			case 'r':
				dst, r = append(dst, '\r'), r+2
			case 't':
				dst, r = append(dst, '\t'), r+2
			default: // '"', '\\', '/'
				dst, r = append(dst, e), r+2
			}
		case c < utf8.RuneSelf:
			dst, r = append(dst, c), r+1
		default:
			rr, size := utf8.DecodeRune(s[r:])
			if rr == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, unicode.ReplacementChar)
			} else {
				dst = append(dst, s[r:r+size]...)
			}
			r += size
		}
	}
	return dst
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// needsUnquote reports whether a scanned string body must go through appendUnquoted to read as
// encoding/json reads it.
func needsUnquote(s []byte, esc bool) bool {
	return esc || !isASCII(s) && !utf8.Valid(s)
}

// isASCII reports whether s is all ASCII, a word at a time: the common case for header
// values, cheaper than utf8.Valid's call for short strings.
func isASCII(s []byte) bool {
	var acc uint64
	for len(s) >= 8 {
		acc |= binary.LittleEndian.Uint64(s)
		s = s[8:]
	}
	for _, c := range s {
		acc |= uint64(c)
	}
	return acc&msb == 0
}
