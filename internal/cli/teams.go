package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/team"
)

// loadRuleSet compiles the built-in pack and the team packs found in dirs (see team.Dirs).
// A directory that cannot be read or holds no team pack is a usage error; a team pack
// that is invalid or does not compile is in Set.Broken, and the others are loaded.
func loadRuleSet(ctx context.Context, dirs []string) (*ruleset.Set, error) {
	builtin, eng, err := setup.CompiledBuiltin(ctx)
	if err != nil {
		return nil, err
	}
	var sources []team.Source
	if len(dirs) > 0 {
		if sources, err = team.Dirs(dirs); err != nil {
			return nil, usagef("--rules: %v", err)
		}
	}
	set, err := ruleset.Build(ctx, builtin, ruleset.Load(sources, time.Now()), ruleset.Options{Lib: builtin.Lib(), Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline, Reuse: eng})
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	return set, nil
}

// openRuntime is the rule set runtime of a scan or a replay: the built-in pack, the team
// packs found in dirs (see loadRuleSet) and the tuning file at tuningPath ("" for none), with
// every alert, staged ones included, going to out (the CLI has no routes). A directory that
// cannot be read or holds no team pack, and a tuning file that does not read or validate,
// are usage errors.
func openRuntime(ctx context.Context, dirs []string, tuningPath string, out delivery.Sender) (*ruleset.Runtime, error) {
	builtin, eng, err := setup.CompiledBuiltin(ctx)
	if err != nil {
		return nil, err
	}
	opts := ruleset.RuntimeOptions{Builtin: builtin, BuiltinEngine: eng, Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline, Default: out}
	if len(dirs) > 0 {
		if opts.Teams, err = team.Dirs(dirs); err != nil {
			return nil, usagef("--rules: %v", err)
		}
	}
	if tuningPath != "" {
		data, err := setup.ReadTuning(tuningPath)
		if err != nil {
			return nil, err
		}
		opts.Tuning = &ruleset.TuningFile{Name: tuningPath, Data: data}
	}
	return ruleset.NewRuntime(ctx, opts)
}

// errTuningUnset is returned for --tuning-diff without a tuning file.
var errTuningUnset = errors.New("--tuning-diff needs a tuning file (--tuning or TUNING_CONFIG)")
