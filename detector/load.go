package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/rule/builtin"
)

// builtinPack loads the embedded rule pack (rules/lib and rules/builtin). The first call
// takes the pack loaded since package initialisation (internal/rule/builtin).
func builtinPack() (*rule.Pack, error) {
	return builtin.Load()
}

// loadEngine compiles the built-in pack. A built-in pack that does not compile is a build
// defect, reported as a configuration error.
func loadEngine(ctx context.Context) (*engine.Engine, error) {
	_, eng, err := loadBuiltin(ctx)
	return eng, err
}

// loadBuiltin loads and compiles the built-in pack, returning both: an engine built later
// from the same pack with engine.Options.Reuse (or ruleset.Options.Reuse) takes its
// compilation instead of compiling it again.
func loadBuiltin(ctx context.Context) (*rule.Pack, *engine.Engine, error) {
	p, err := builtinPack()
	if err != nil {
		return nil, nil, err
	}
	eng, errs := engine.New(ctx, []*rule.Pack{p}, engine.Options{Lib: p.Lib(), Deadline: ruleDeadline})
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("compile rules: %w", errors.Join(errs...))
	}
	return p, eng, nil
}
