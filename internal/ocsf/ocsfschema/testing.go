package ocsfschema

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// SchemaDir returns the directory of the OCSF 1.6 definition sources: $TRAILHOUND_OCSF_SCHEMA,
// else ../shared/ocsf-schema-1.6.0 beside the repository. It skips the test (fails it under
// CI=true) when the directory is missing.
func SchemaDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("TRAILHOUND_OCSF_SCHEMA")
	if dir == "" {
		dir = filepath.Join(testutil.ModuleRoot(t), "..", "shared", "ocsf-schema-1.6.0")
	}
	if _, err := os.Stat(filepath.Join(dir, "dictionary.json")); err != nil {
		testutil.Unavailable(t, "OCSF schema sources not found in %s (set TRAILHOUND_OCSF_SCHEMA)", dir)
	}
	return dir
}

// DetectionFinding loads the schema sources and compiles the Detection Finding class.
func DetectionFinding(t testing.TB) (*Schema, *Class) {
	t.Helper()
	s, err := Load(SchemaDir(t))
	if err != nil {
		t.Fatalf("load OCSF schema: %v", err)
	}
	c, err := s.Class("detection_finding")
	if err != nil {
		t.Fatalf("compile detection_finding: %v", err)
	}
	return s, c
}
