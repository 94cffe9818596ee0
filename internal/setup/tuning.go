package setup

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/tuning"
)

// EnvTuningConfig is the path of the org tuning file (internal/tuning): honoured by scan
// and replay when no --tuning is given, and by the Lambda (a path inside the deployment
// package or a layer, as TEAMS_CONFIG). A tuning file in the rules bundle wins over it.
const EnvTuningConfig = "TUNING_CONFIG"

// maxTuningBytes bounds a tuning file: it is read whole.
const maxTuningBytes = 1 << 20

// TuningPath returns the --tuning file, or TUNING_CONFIG's when none was given.
func TuningPath(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return strings.TrimSpace(getenv(EnvTuningConfig))
}

// ReadTuning reads a tuning file, refusing one over maxTuningBytes before buffering it.
func ReadTuning(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tuning file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTuningBytes+1))
	if err != nil {
		return nil, fmt.Errorf("tuning file %s: %w", path, err)
	}
	if len(data) > maxTuningBytes {
		return nil, fmt.Errorf("tuning file %s: over %d bytes", path, maxTuningBytes)
	}
	return data, nil
}

// LoadTuning reads, validates (against the set's rules) and compiles a tuning file.
func LoadTuning(path string, set *ruleset.Set, now time.Time) (*tuning.Policy, error) {
	data, err := ReadTuning(path)
	if err != nil {
		return nil, err
	}
	return tuning.Load(path, data, now, set.KnownRules())
}
