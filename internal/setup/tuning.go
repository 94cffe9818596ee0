package setup

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/tuning"
)

// maxTuningBytes bounds a tuning file: it is read whole.
const maxTuningBytes = 1 << 20

// TuningPath returns the --tuning file, or TUNING_CONFIG's when none was given (in Lambda, a
// path inside the deployment package or a layer, as TEAMS_CONFIG; a tuning file in the rules
// bundle wins over it).
func TuningPath(flag string, src settings.Sources) string {
	if flag != "" {
		return flag
	}
	return src.Tuning
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
