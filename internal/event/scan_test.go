package event

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"strings"
	"testing"
)

// validOne reports whether b is exactly one JSON value (with surrounding whitespace) by the
// decoder's scanner.
func validOne(b []byte) (bool, *syntaxError) {
	i := skipWS(b, 0)
	end, err := scanValue(b, i, 0)
	if err != nil {
		return false, err
	}
	return skipWS(b, end) == len(b), nil
}

// TestScannerMatchesEncodingJSON checks the grammar against encoding/json.Valid on inputs
// that probe each rule.
func TestScannerMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`,
		`-01`, `2.0e10`, `1.5.5`, `+1`, `0x10`, `Infinity`, `NaN`, `true`, `tru`, `truex`, `false`, `null`, `nul`,
		`"\u00e9"`, `"\u00g9"`, `"\x"`, `"\/"`, `"a` + "\t" + `b"`, `"a` + "\x7f" + `b"`, `"a` + "\x00" + `"`,
		"\"\xff\xfe\"", `"\ud800"`, `"\"`, `"\\"`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a" 1}`, `{a:1}`, `{"a":}`,
		`[1,]`, `[,1]`, `[1 2]`, `[[[]]]`, `{"a":{"b":[{"c":null}]}}`, `{} {}`, `[] x`, " \r\n\t[1]\r\n",
		"\v1", `{"a":"}"}`, `"` + strings.Repeat("x", 100) + `\"` + strings.Repeat("y", 9) + `"`,
		`"12345678\"12345678"`, `"1234567` + "\x1f" + `"`, `"` + strings.Repeat("é", 20) + `"`,
	}
	for _, in := range inputs {
		got, _ := validOne([]byte(in))
		if want := json.Valid([]byte(in)); got != want {
			t.Errorf("%q: scanner says %v, encoding/json says %v", in, got, want)
		}
	}
}

func TestAppendUnquotedMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `"\"\\\/\b\f\n\r\t"`, `"\u0041\u00e9\u20ac"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`,
		`"\ud83d\u0041"`, `"\ud83dabc"`, "\"\xff\xc3(\xe2\x82\"", `"\u0000"`, `"\uDBFF\uDFFF"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := string(appendUnquoted(nil, []byte(in[1:len(in)-1]))); got != want {
			t.Errorf("%q: unquoted to %q, encoding/json reads %q", in, got, want)
		}
	}
}

// TestSpecial checks the word-at-a-time search against a byte loop for every byte value at
// every position, behind plain bytes and behind other special bytes.
func TestSpecial(t *testing.T) {
	isSpecial := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' }
	for _, fill := range []byte{'a', ' ', '!', '#', 0x7f, 0x80, 0xff, '"', 0x1f} {
		for pos := range 8 {
			for c := range 256 {
				var w [8]byte
				for k := range w {
					w[k] = 'x'
				}
				for k := pos + 1; k < 8; k++ {
					w[k] = fill
				}
				w[pos] = byte(c)
				want := -1
				for k, b := range w {
					if isSpecial(b) {
						want = k
						break
					}
				}
				got := -1
				if m := special(binary.LittleEndian.Uint64(w[:])); m != 0 {
					got = bits.TrailingZeros64(m) >> 3
				}
				if got != want {
					t.Fatalf("word % x: first special byte at %d, special() says %d", w, want, got)
				}
			}
		}
	}
}

func TestIsASCII(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghi", "é", "abcdefgé", "abcdefghé", "\x7f\x00", "\x80"} {
		want := true
		for i := 0; i < len(s); i++ {
			want = want && s[i] < 0x80
		}
		if got := isASCII([]byte(s)); got != want {
			t.Errorf("isASCII(%q) = %v", s, got)
		}
	}
}
