package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/tuning"
)

// checkTuning reads a tuning file and validates it against the built-in pack and the team
// packs in dirs (the rule ids it names, the severities it may lower to).
func checkTuning(ctx context.Context, path string, dirs []string) (*tuning.Policy, error) {
	set, err := loadRuleSet(ctx, dirs)
	if err != nil {
		return nil, err
	}
	return setup.LoadTuning(path, set, time.Now())
}

// lintTuning is the tuning-file part of `detector rules lint --tuning FILE [DIR...]`.
func lintTuning(ctx context.Context, path string, dirs []string, s stdio) (int, error) {
	p, err := checkTuning(ctx, path, dirs)
	if err != nil {
		fmt.Fprintf(s.out, "FAIL tuning %s\n  %v\n", path, err)
		return ExitPartial, fmt.Errorf("tuning file %s failed", path)
	}
	f := p.File
	fmt.Fprintf(s.out, "ok   tuning %s (owner %s): %d exceptions, %d staged, %d disabled\n", path, f.Owner, len(f.Exceptions), len(f.Staged), len(f.Disabled))
	return ExitOK, nil
}

// tuningJSON validates a tuning file and returns it as the JSON a bundle carries.
func tuningJSON(ctx context.Context, path string, dirs []string) ([]byte, error) {
	p, err := checkTuning(ctx, path, dirs)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p.File)
}
