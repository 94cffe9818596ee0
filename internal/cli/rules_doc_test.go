package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/setup"
)

// TestCatalogIsCurrent fails when rules/CATALOG.md differs from what `detector rules doc`
// generates for the embedded pack.
func TestCatalogIsCurrent(t *testing.T) {
	r := runCLI(t, "", "rules", "doc")
	if r.code != ExitOK {
		t.Fatalf("rules doc: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "rules", "CATALOG.md"))
	if err != nil {
		t.Fatalf("%v: generate it with: %s", err, catalogCommand)
	}
	if string(committed) != r.stdout {
		t.Fatalf("rules/CATALOG.md is out of date with the rules' METADATA; regenerate it from the repository root with:\n\t%s\nfirst difference at line %d", catalogCommand, firstDiffLine(string(committed), r.stdout))
	}
	eng, err := setup.LoadEngine(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, rl := range eng.Rules() {
		if !strings.Contains(r.stdout, "\n## "+rl.ID+": ") {
			t.Errorf("catalog has no section for %s", rl.ID)
		}
	}
}

func TestRulesDocOutAndDeterminism(t *testing.T) {
	out := filepath.Join(t.TempDir(), "CATALOG.md")
	first := runCLI(t, "", "rules", "doc", "--out", out)
	if first.code != ExitOK || first.stdout != "" {
		t.Fatalf("rules doc --out: exit %d, stdout %q, stderr:\n%s", first.code, first.stdout, first.stderr)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	second := runCLI(t, "", "rules", "doc")
	if string(written) != second.stdout {
		t.Fatalf("--out and stdout differ, or the catalog is not deterministic (line %d)", firstDiffLine(string(written), second.stdout))
	}
	if r := runCLI(t, "", "rules", "doc", "extra"); r.code != ExitUsage {
		t.Errorf("rules doc extra: exit %d, want %d", r.code, ExitUsage)
	}
}

func firstDiffLine(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}
