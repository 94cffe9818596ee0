package event

import (
	"encoding/json"
	"testing"
)

var numberCases = []string{
	"0", "-0", "1", "-1", "10", "0.5", "-0.5", "1e3", "1E+3", "1e-3", "12.34e56",
	"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.2.3", "--1", "NaN", "1 ", " 1", "١",
}

// FuzzNumberEnd holds the grammar to encoding/json's: a string is one JSON number exactly
// when json.Valid accepts it and json.Unmarshal decodes it into a json.Number, and both type
// parameters (string and []byte) agree.
func FuzzNumberEnd(f *testing.F) {
	for _, c := range numberCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := IsNumber(s)
		var n json.Number
		want := json.Valid([]byte(s)) && json.Unmarshal([]byte(s), &n) == nil && string(n) == s
		if got != want {
			t.Fatalf("IsNumber(%q) = %v, encoding/json says %v", s, got, want)
		}
		e1, p1 := NumberEnd(s, 0)
		e2, p2 := NumberEnd([]byte(s), 0)
		if e1 != e2 || p1 != p2 {
			t.Fatalf("NumberEnd(%q): string (%d, %q), bytes (%d, %q)", s, e1, p1, e2, p2)
		}
	})
}

func TestNumberEndProblems(t *testing.T) {
	for _, c := range []struct {
		in      string
		end     int
		problem string
	}{
		{"12,", 2, ""},
		{"-x", 1, "in numeric literal"},
		{"1.x", 2, "after decimal point in numeric literal"},
		{"1e+x", 3, "in exponent of numeric literal"},
		{"0123", 1, ""},
	} {
		end, problem := NumberEnd(c.in, 0)
		if end != c.end || problem != c.problem {
			t.Errorf("NumberEnd(%q) = (%d, %q), want (%d, %q)", c.in, end, problem, c.end, c.problem)
		}
	}
}
