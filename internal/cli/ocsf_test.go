package cli

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/ocsf/ocsfschema"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestOCSFFindingsValidate scans every corpus record and the project's examples with
// --format ocsf and validates every finding against the Detection Finding class compiled from
// the OCSF 1.6 sources (../shared/ocsf-schema-1.6.0). For the corpus, the rules the findings
// name (finding_info.analytic.uid) must be those rules/testdata/corpus_expectations.txt
// expects, so every alert the corpus raises was rendered and checked.
func TestOCSFFindingsValidate(t *testing.T) {
	t.Setenv("ENRICH", "")
	t.Setenv("TEAMS_CONFIG", "")
	s, class := ocsfschema.DetectionFinding(t)
	want := readCorpusExpectations(t)
	corpus := testutil.CorpusFiles(t)
	inputs := append(slices.Clone(corpus), mustGlob(t, "../../examples/*.json*")...)
	findings := 0
	for i, path := range inputs {
		name := filepath.Base(path)
		r := runCLI(t, "", "scan", "--format", "ocsf", "--quiet", path)
		if r.code != ExitOK && r.code != ExitAlert {
			t.Errorf("%s: exit %d, stderr:\n%s", name, r.code, r.stderr)
		}
		var rules []string
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			findings++
			for _, err := range class.Validate(s, line) {
				t.Errorf("%s: finding fails OCSF 1.6 detection_finding: %v", name, err)
			}
			var f struct {
				FindingInfo struct {
					Analytic struct {
						UID string `json:"uid"`
					} `json:"analytic"`
				} `json:"finding_info"`
			}
			if err := json.Unmarshal(line, &f); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.Contains(rules, f.FindingInfo.Analytic.UID) {
				rules = append(rules, f.FindingInfo.Analytic.UID)
			}
		}
		slices.Sort(rules)
		if i < len(corpus) {
			if exp, ok := want[name]; ok && !slices.Equal(rules, exp.ids) {
				t.Errorf("%s: findings of rules %v, the corpus expectations say %v", name, rules, exp.ids)
			}
		}
	}
	if findings < 10 {
		t.Fatalf("only %d findings from %d inputs: the corpus and examples should raise more", findings, len(inputs))
	}
	t.Logf("%d findings from %d inputs validated", findings, len(inputs))
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) == 0 {
		t.Fatalf("glob %s: %v (%d files)", pattern, err, len(m))
	}
	return m
}
