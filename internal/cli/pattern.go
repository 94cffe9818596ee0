package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
)

// cmdPattern prints the EventBridge event pattern that routes exactly the events the loaded
// rules declare: the built-in pack's and, with --rules (default $TEAMS_CONFIG), the team
// packs'. deploy/template.yaml carries the built-in pattern (a test keeps them equal); a
// deployment with team packs regenerates it with the same --rules.
func cmdPattern(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("pattern", s, "pattern [--rules DIR]... [--max-chars N]")
	var dirs stringList
	fs.Var(&dirs, "rules", "team rule packs whose events the pattern must also route (repeatable; default $TEAMS_CONFIG)")
	maxChars := fs.Int("max-chars", engine.PatternMaxChars, "refuse a pattern longer than this many characters (EventBridge's quota: 2048 by default, up to 4096)")
	if rest, err := parseFlags(fs, args); err != nil {
		return ExitUsage, err
	} else if len(rest) > 0 {
		return ExitUsage, usagef("pattern takes no arguments")
	}
	set, err := loadRuleSet(ctx, setup.TeamDirs(dirs, settings.LoadSources(os.Getenv)))
	if err != nil {
		return ExitUsage, err
	}
	if len(set.Broken) > 0 {
		// A pattern without a broken pack's events would silently stop routing them.
		errs := make([]error, len(set.Broken))
		for i, b := range set.Broken {
			errs[i] = b
		}
		return ExitPartial, fmt.Errorf("a team pack is broken; fix it before deriving the pattern: %w", errors.Join(errs...))
	}
	b, err := engine.Pattern(set.Engine.Events())
	if err != nil {
		return ExitUsage, err
	}
	if err := engine.CheckPatternSize(b, *maxChars); err != nil {
		return ExitUsage, err
	}
	if _, err := s.out.Write(b); err != nil {
		return ExitUsage, fmt.Errorf("write: %w", err)
	}
	return ExitOK, nil
}
