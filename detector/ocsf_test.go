package main

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
// the OCSF 1.6 sources (../shared/ocsf-schema-1.6.0). The same inputs scanned with
// --format json must give the same alerts: one finding per alert, finding_info.uid = the
// alert id.
func TestOCSFFindingsValidate(t *testing.T) {
	t.Setenv("ENRICH", "")
	t.Setenv("TEAMS_CONFIG", "")
	s, class := ocsfschema.DetectionFinding(t)
	inputs := append(testutil.CorpusFiles(t), mustGlob(t, "../examples/*.json*")...)
	findings := 0
	for _, path := range inputs {
		name := filepath.Base(path)
		want := runCLI(t, "", "scan", "--format", "json", "--quiet", path)
		got := runCLI(t, "", "scan", "--format", "ocsf", "--quiet", path)
		if got.code != want.code {
			t.Errorf("%s: exit %d with ocsf, %d with json; stderr:\n%s", name, got.code, want.code, got.stderr)
		}
		var wantIDs, gotIDs []string
		for _, a := range alertsOf(t, want.stdout) {
			wantIDs = append(wantIDs, a.ID)
		}
		sc := bufio.NewScanner(strings.NewReader(got.stdout))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			findings++
			for _, err := range class.Validate(s, line) {
				t.Errorf("%s: finding fails OCSF 1.6 detection_finding: %v", name, err)
			}
			var f struct {
				FindingInfo struct {
					UID string `json:"uid"`
				} `json:"finding_info"`
			}
			if err := json.Unmarshal(line, &f); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			gotIDs = append(gotIDs, f.FindingInfo.UID)
		}
		slices.Sort(wantIDs)
		slices.Sort(gotIDs)
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("%s: finding uids %v, alert ids %v", name, gotIDs, wantIDs)
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
