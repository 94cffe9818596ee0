package astsnap

import (
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/rules"
)

// parse parses a module as the loader's preread path does (internal/rule, parseModule
// without annotations): Rego v1, annotations not processed, this version's capabilities.
func parse(t testing.TB, file, src string) *ast.Module {
	t.Helper()
	mod, err := ast.ParseModuleWithOpts(file, src, ast.ParserOptions{
		ProcessAnnotation: false,
		RegoVersion:       ast.RegoV1,
		Capabilities:      ast.CapabilitiesForThisVersion(ast.CapabilitiesRegoVersion(ast.RegoV1)),
	})
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	return mod
}

// packSources returns every non-test module of the embedded pack, by file name as the
// loader names it.
func packSources(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(rules.FS, ".", func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(file, ".rego") || strings.HasSuffix(file, "_test.rego") {
			return nil
		}
		b, err := fs.ReadFile(rules.FS, file)
		if err != nil {
			return err
		}
		out["rules/"+file] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no modules in the embedded pack")
	}
	return out
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// roundTrip checks Decode(Encode(parse(src))) against parse(src).
func roundTrip(t *testing.T, file, src string) []byte {
	t.Helper()
	want := parse(t, file, src)
	b, err := Encode(want, src)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	got, err := Decode(b, file, src)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, d := range deepCompare(want, got) {
		t.Errorf("%s: %s", file, shortPath(d))
	}
	// And the decoded module encodes to the same bytes.
	again, err := Encode(got, src)
	if err != nil {
		t.Fatalf("%s: encode the decoded module: %v", file, err)
	}
	if string(again) != string(b) {
		t.Errorf("%s: the decoded module encodes differently", file)
	}
	return b
}

func TestRoundTripPack(t *testing.T) {
	srcs := packSources(t)
	for _, name := range sortedNames(srcs) {
		roundTrip(t, name, srcs[name])
	}
}

func TestRoundTripSynthetic(t *testing.T) {
	for _, name := range sortedNames(synthetic) {
		roundTrip(t, name, synthetic[name])
	}
}

// TestEncodeRefusesCompiled: a module the compiler has rewritten carries state the codec
// does not write (an expression's compiler bookkeeping), and Encode says so.
func TestEncodeRefusesCompiled(t *testing.T) {
	src := "package p\n\nx := y if {\n\ty := 1\n}\n"
	mod := parse(t, "p.rego", src)
	c := ast.NewCompiler()
	if c.Compile(map[string]*ast.Module{"p.rego": mod}); c.Failed() {
		t.Fatal(c.Errors)
	}
	_, err := Encode(c.Modules["p.rego"], src)
	if err == nil {
		t.Fatal("a compiled module was encoded")
	}
	if !strings.Contains(err.Error(), "a compiled module") {
		t.Fatalf("refused for another reason: %v", err)
	}
	if _, err := Encode(parse(t, "p.rego", src), src); err != nil {
		t.Fatal(err)
	}
}
