package function

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/reload"
	"github.com/trailhound/trailhound/internal/route"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/team"
)

// newLambdaRules turns the function's rule sources (TEAMS_CONFIG, TUNING_CONFIG, RULES_BUNDLE
// with its key, reload interval and fetch timeout) into the rule set runtime
// (ruleset.Runtime: it keeps the bundle current, routes alerts over the active set's team
// routes, with def as the default route, and owes the health alerts the handler delivers).
// builtinEngine is the engine of the built-in pack builtin alone: used as is when there are
// no team packs, and its compilation of builtin is reused by the rule sets built with team
// packs, so the built-in pack is parsed and compiled once. It does not fetch the bundle:
// Init does.
func newLambdaRules(ctx context.Context, cfg aws.Config, fn settings.Function, builtin *rule.Pack, builtinEngine *engine.Engine, def delivery.Sender, log *slog.Logger) (*ruleset.Runtime, error) {
	opts := ruleset.RuntimeOptions{
		Builtin: builtin, BuiltinEngine: builtinEngine, Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline,
		Default: def, Open: route.AWSOpener(cfg, fn.Destinations.PagerDutyEventsURL), Log: log,
	}
	var err error
	if dirs := fn.Sources.TeamDirs; len(dirs) > 0 {
		if opts.Teams, err = team.Dirs(dirs); err != nil {
			return nil, fmt.Errorf("%s: %w", settings.TeamsConfig.Name, err)
		}
	}
	if path := fn.Sources.Tuning; path != "" {
		data, err := setup.ReadTuning(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", settings.TuningConfig.Name, err)
		}
		opts.Tuning = &ruleset.TuningFile{Name: path, Data: data, From: settings.TuningConfig.Name}
	}
	if fn.Bundle.URL != "" {
		if opts.Bundle, err = bundleSource(ctx, cfg, fn.Bundle, log); err != nil {
			return nil, err
		}
	}
	return ruleset.NewRuntime(ctx, opts)
}

// bundleSource is the rules bundle RULES_BUNDLE names, with its verification key, reload
// interval and fetch timeout.
func bundleSource(ctx context.Context, cfg aws.Config, b settings.Bundle, log *slog.Logger) (*ruleset.BundleSource, error) {
	where, err := reload.ParseS3URL(b.URL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", settings.RulesBundle.Name, err)
	}
	src := &ruleset.BundleSource{Client: awsenv.NewS3(cfg, awsenv.S3Bundle), Where: where, Interval: b.ReloadInterval, Timeout: b.FetchTimeout}
	material, from, err := rulesKeyMaterial(ctx, func() parameterAPI { return ssm.NewFromConfig(cfg) }, b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if strings.TrimSpace(material) != "" {
		if src.Key, err = bundle.LoadKey(material, b.KeyAlgorithm); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	} else {
		log.Warn(settings.RulesPublicKey.Name + " not set: the rules bundle's signature is not verified")
	}
	return src, nil
}
