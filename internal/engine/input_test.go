package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/testutil"
)

// inputCases are JSON inputs whose fast and slow parses must agree.
var inputCases = []string{
	`{}`,
	` {"a": 1} `,
	`{"a":"b","n":null,"t":true,"f":false,"x":[],"o":{}}`,
	`{"num":[0,-0,1.50,-12.5e+3,1E-7,12345678901234567890123]}`,
	`{"esc":"quote \" backslash \\ slash \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \u0000"}`,
	`{"utf8":"caf\u00e9 and café and 日本"}`,
	"{\"bad\":\"\xff\xfe invalid utf-8\"}",
	"{\"lone\":\"\\ud800 surrogate\"}",
	`{"dup":1,"dup":2,"k":{"x":1,"x":{"y":2}}}`,
	`{"k\u0065y":"escaped key","key2":1}`,
	`{"deep":[[[[{"a":[{"b":[1,2,{"c":"d"}]}]}]]]]}`,
	`{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"requestParameters":null}`,
	`{"awsRegion":"us-east-1","recipientAccountId":"111122223333","a":"11112222333","b":"1111222233334","c":"11112222333x","o":{"e":{},"a":[]}}`,
}

// TestParseInputInterns checks that common values, account IDs and nested empty objects and
// arrays come out as shared terms (the allocations they save), with the values they spell.
func TestParseInputInterns(t *testing.T) {
	raw := []byte(`{"awsRegion":"us-east-1","recipientAccountId":"111122223333","other":"1111222233334","o":{"e":{},"a":[]}}`)
	first, err := ParseInput(raw)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ParseInput(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"awsRegion", "recipientAccountId", "o.e", "o.a"} {
		ref := ast.MustParseRef("x." + path)[1:]
		a, b := termAt(t, first, ref), termAt(t, second, ref)
		if a != b {
			t.Errorf("%s: two parses gave two terms (%v, %v), want one shared term", path, a, b)
		}
	}
	if a, b := termAt(t, first, ast.MustParseRef("x.other")[1:]), termAt(t, second, ast.MustParseRef("x.other")[1:]); a == b {
		t.Errorf("other: a 13-digit value %v was interned as an account ID", a)
	}
	if first.(ast.Object) == second.(ast.Object) {
		t.Error("two parses share the record's own object, which WithFacts modifies")
	}
}

// termAt returns the term at ref (string keys) in v.
func termAt(t *testing.T, v ast.Value, ref ast.Ref) *ast.Term {
	t.Helper()
	var term *ast.Term
	for _, k := range ref {
		obj, ok := v.(ast.Object)
		if !ok {
			t.Fatalf("%v: not an object at %v", ref, k)
		}
		term = obj.Get(k)
		if term == nil {
			t.Fatalf("%v: no %v", ref, k)
		}
		v = term.Value
	}
	return term
}

func TestParseInputMatchesValueFromReader(t *testing.T) {
	cases := append([]string{}, inputCases...)
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if !checkParse(t, []byte(c)) {
			t.Errorf("fast path declined %.80q", c)
		}
	}
}

func TestParseInputErrors(t *testing.T) {
	for _, c := range []string{``, `[]`, `"s"`, `{`, `{"a":}`, `{"a":1,}`, `{"a" 1}`, `{"a":tru}`, "{\"a\":\"\x01\"}", `{"a":01}`, `{"a":1.}`, `{"a":"\x"}`} {
		if _, err := ParseInput([]byte(c)); err == nil {
			t.Errorf("ParseInput(%q) accepted it", c)
		}
	}
	// Data after the object is an error (ast.ValueFromReader would ignore it); whitespace is not.
	for _, c := range []string{`{"a":1} trailing`, `{} x`, `{"a":1}{"b":2}`, "{\"a\":\"\u00e9\"} x"} {
		if v, err := ParseInput([]byte(c)); err == nil || !strings.Contains(err.Error(), "data after the JSON object") {
			t.Errorf("ParseInput(%q) = %v, %v; want an error about the data after the object", c, v, err)
		}
	}
	v, err := ParseInput([]byte(" {\"a\":1} \r\n\t"))
	if err != nil || v.Compare(ast.MustParseTerm(`{"a":1}`).Value) != 0 {
		t.Fatalf("surrounding whitespace: %v, %v", v, err)
	}
}

func TestParseInputDeepNesting(t *testing.T) {
	deep := `{"a":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`
	if checkParse(t, []byte(deep)) {
		t.Fatal("600 levels took the fast path")
	}
	if _, err := ParseInput([]byte(deep)); err != nil {
		t.Fatal(err)
	}
}

// checkParse compares the fast parse of b with ast.ValueFromReader's, and reports whether the
// fast path took b.
func checkParse(t *testing.T, b []byte) bool {
	t.Helper()
	want, werr := parseInputSlow(b)
	p := inputParser{b: b, s: string(b)}
	got, ok := p.parse()
	if !ok {
		// Declined: ParseInput takes the slow path, which is the reference.
		return false
	}
	if werr != nil {
		t.Fatalf("fast path accepted %q, slow path says %v", b, werr)
	}
	if got.Compare(want) != 0 {
		t.Fatalf("fast path differs for %q:\n got %v\nwant %v", b, got, want)
	}
	return true
}

func FuzzParseInput(f *testing.F) {
	for _, c := range inputCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, b) })
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	dir := testutil.CorpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}
