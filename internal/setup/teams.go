package setup

import (
	"context"
	"fmt"
	"sync"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/team"
)

// RuleDeadline and PackDeadline bound the time one rule, and one team pack's rules together,
// may take on one event (engine.Options.Deadline, ruleset.Options.PackDeadline). Tests make
// them generous (TestMain in internal/cli and internal/function), so that their verdicts
// never depend on the machine's speed.
var (
	RuleDeadline = engine.DefaultDeadline
	PackDeadline = ruleset.DefaultPackDeadline
)

// TeamDirs returns the --rules directories, or those of TEAMS_CONFIG when none was given.
func TeamDirs(flags []string, src settings.Sources) []string {
	if len(flags) > 0 {
		return flags
	}
	return src.TeamDirs
}

// builtinCache is the built-in pack and its compilation, made once per process: a command
// compiles it once either way, and the package's tests, which run many commands in one
// process, do not parse and compile it again for each (it was most of their CPU time). Rule
// sets take the compiled pack as it is (ruleset.Options.Reuse), as the Lambda does on reload.
var builtinCache struct {
	once sync.Once
	pack *rule.Pack
	eng  *engine.Engine
	err  error
}

// CompiledBuiltin returns the built-in pack and an engine that compiled it (LoadBuiltin),
// the same ones for every call.
func CompiledBuiltin(ctx context.Context) (*rule.Pack, *engine.Engine, error) {
	builtinCache.once.Do(func() {
		builtinCache.pack, builtinCache.eng, builtinCache.err = LoadBuiltin(ctx)
	})
	return builtinCache.pack, builtinCache.eng, builtinCache.err
}

// SuppressionLine describes a suppressed alert for logs and stderr.
func SuppressionLine(s team.Suppressed) string {
	return fmt.Sprintf("alert %s of rule %s suppressed by %s (team %s, owner %s, expires %s): %s",
		s.AlertID, s.RuleID, s.ID, s.Team, s.Owner, s.Expires, s.Reason)
}
