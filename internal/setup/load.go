// Package setup is what the CLI (internal/cli) and the Lambda function (internal/function)
// do alike to assemble a pipeline: load and compile the built-in pack, find team packs
// (TEAMS_CONFIG) and the tuning file (TUNING_CONFIG), wire a rule set into a pipeline, and the
// evaluation deadlines.
package setup

import (
	"context"
	"errors"
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/rule/builtin"
)

// BuiltinPack loads the embedded rule pack (rules/lib and rules/builtin). The first call
// takes the pack loaded since package initialisation (internal/rule/builtin).
func BuiltinPack() (*rule.Pack, error) {
	return builtin.Load()
}

// LoadEngine compiles the built-in pack. A built-in pack that does not compile is a build
// defect, reported as a configuration error.
func LoadEngine(ctx context.Context) (*engine.Engine, error) {
	_, eng, err := LoadBuiltin(ctx)
	return eng, err
}

// LoadBuiltin loads and compiles the built-in pack, returning both: an engine built later
// from the same pack with engine.Options.Reuse (or ruleset.Options.Reuse) takes its
// compilation instead of compiling it again.
func LoadBuiltin(ctx context.Context) (*rule.Pack, *engine.Engine, error) {
	return LoadBuiltinOn(ctx, 0)
}

// LoadBuiltinOn is LoadBuiltin in a process that may keep cores busy at once (0: GOMAXPROCS;
// engine.Options.Cores): the Lambda function's CPU share (settings.LoadCores).
func LoadBuiltinOn(ctx context.Context, cores int) (*rule.Pack, *engine.Engine, error) {
	p, err := BuiltinPack()
	if err != nil {
		return nil, nil, err
	}
	eng, errs := engine.New(ctx, []*rule.Pack{p}, engine.Options{Lib: p.Lib(), Deadline: RuleDeadline, Cores: cores})
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("compile rules: %w", errors.Join(errs...))
	}
	return p, eng, nil
}
