package main

import (
	"context"
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
)

// cmdPattern prints the EventBridge event pattern that routes exactly the events the loaded
// rules declare. deploy/template.yaml carries the same pattern (a test keeps them equal).
func cmdPattern(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("pattern", s, "pattern")
	if rest, err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	} else if len(rest) > 0 {
		return exitUsage, usagef("pattern takes no arguments")
	}
	eng, err := loadEngine(ctx)
	if err != nil {
		return exitUsage, err
	}
	b, err := engine.Pattern(eng.Events())
	if err != nil {
		return exitUsage, err
	}
	if _, err := s.out.Write(b); err != nil {
		return exitUsage, fmt.Errorf("write: %w", err)
	}
	return exitOK, nil
}
