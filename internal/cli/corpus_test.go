package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// corpusExpectations is the project's record of what the built-in pack raises for each file
// of the shared corpus (../shared/corpus/events), with a reason per line.
const corpusExpectations = "../../rules/testdata/corpus_expectations.txt"

type corpusExpectation struct {
	ids    []string // sorted; empty for "-"
	line   int
	reason string
}

func readCorpusExpectations(t *testing.T) map[string]corpusExpectation {
	t.Helper()
	f, err := os.Open(corpusExpectations)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]corpusExpectation{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		body, reason, ok := strings.Cut(line, " # ")
		fields := strings.Fields(body)
		if !ok || strings.TrimSpace(reason) == "" || len(fields) != 2 {
			t.Fatalf("%s:%d: want `<file> <ids|-> # reason`, got %q", corpusExpectations, n, line)
		}
		if _, dup := out[fields[0]]; dup {
			t.Fatalf("%s:%d: %s listed twice", corpusExpectations, n, fields[0])
		}
		var ids []string
		if fields[1] != "-" {
			ids = strings.Split(fields[1], ",")
			if !slices.IsSorted(ids) {
				t.Errorf("%s:%d: list the rule ids sorted", corpusExpectations, n)
			}
		}
		out[fields[0]] = corpusExpectation{ids: ids, line: n, reason: reason}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusExpectations scans every corpus record on its own, exactly as `detector scan`
// does (the embedded pack, defaults: no enrichment, fresh in-memory state), and compares the
// rule ids raised with rules/testdata/corpus_expectations.txt.
func TestCorpusExpectations(t *testing.T) {
	t.Setenv("ENRICH", "")       // the CLI default (off), whatever the caller's environment says
	t.Setenv("TEAMS_CONFIG", "") // the built-in pack only
	want := readCorpusExpectations(t)
	seen := map[string]bool{}
	for _, path := range testutil.CorpusFiles(t) {
		name := filepath.Base(path)
		seen[name] = true
		r := runCLI(t, "", "scan", "--format", "json", "--quiet", path)
		if r.code != ExitOK {
			t.Errorf("%s: exit %d, stderr:\n%s", name, r.code, r.stderr)
			continue
		}
		var got []string
		for _, a := range alertsOf(t, r.stdout) {
			if !slices.Contains(got, a.Rule.ID) {
				got = append(got, a.Rule.ID)
			}
		}
		slices.Sort(got)
		exp, ok := want[name]
		if !ok {
			t.Errorf("%s is not in %s; add: %s %s # <why>", name, corpusExpectations, name, orDash(got))
			continue
		}
		if !slices.Equal(got, exp.ids) {
			t.Errorf("%s (%s:%d): raised %s, expected %s (%s)", name, corpusExpectations, exp.line, orDash(got), orDash(exp.ids), exp.reason)
		}
	}
	for name, exp := range want {
		if !seen[name] {
			t.Errorf("%s:%d names %s, which is not in the corpus", corpusExpectations, exp.line, name)
		}
	}
}

func orDash(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ",")
}
