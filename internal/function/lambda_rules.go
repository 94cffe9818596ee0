package function

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/reload"
	"github.com/trailhound/trailhound/internal/route"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/team"
)

// Rule source configuration (docs/ARCHITECTURE.md, Configuration).
const (
	// EnvRulesBundle is an OPA bundle of team packs: s3://bucket/key.
	EnvRulesBundle = "RULES_BUNDLE"
	// EnvRulesPublicKey verifies the bundle's signature: PEM text or a file path (for HS*
	// algorithms, the shared secret). When set, an unsigned or wrongly signed bundle is
	// refused.
	EnvRulesPublicKey = "RULES_PUBLIC_KEY"
	// EnvRulesKeyAlgorithm overrides the algorithm inferred from the key (RS256, ES256, ...;
	// HS256 requires it).
	EnvRulesKeyAlgorithm = "RULES_KEY_ALGORITHM"
	// EnvRulesReloadSeconds is the least time between two checks of the bundle's ETag.
	EnvRulesReloadSeconds = "RULES_RELOAD_SECONDS"
	// EnvRulesFetchTimeoutSeconds bounds one check of the bundle (HeadObject, GetObject and
	// the download, SDK retries included), at init and at reload; default 10.
	EnvRulesFetchTimeoutSeconds = "RULES_FETCH_TIMEOUT_SECONDS"
)

// newLambdaRules reads the rule sources of the environment (TEAMS_CONFIG, TUNING_CONFIG,
// RULES_BUNDLE with its key, reload interval and fetch timeout) and starts the rule set
// runtime over them (ruleset.Runtime: it keeps the bundle current, routes alerts over the
// active set's team routes, with def as the default route, and owes the health alerts the
// handler delivers). builtinEngine is the engine of the built-in pack builtin alone: used as
// is when there are no team packs, and its compilation of builtin is reused by the rule sets
// built with team packs, so the built-in pack is parsed and compiled once. It does not fetch
// the bundle: Init does.
func newLambdaRules(ctx context.Context, cfg aws.Config, getenv func(string) string, builtin *rule.Pack, builtinEngine *engine.Engine, def route.Sender, log *slog.Logger) (*ruleset.Runtime, error) {
	opts := ruleset.RuntimeOptions{
		Builtin: builtin, BuiltinEngine: builtinEngine, Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline,
		Default: def, Open: route.AWSOpener(cfg, getenv), Log: log,
	}
	var err error
	if dirs := setup.TeamDirs(nil, getenv); len(dirs) > 0 {
		if opts.Teams, err = team.Dirs(dirs); err != nil {
			return nil, fmt.Errorf("%s: %w", setup.EnvTeamsConfig, err)
		}
	}
	if path := setup.TuningPath("", getenv); path != "" {
		data, err := setup.ReadTuning(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", setup.EnvTuningConfig, err)
		}
		opts.Tuning = &ruleset.TuningFile{Name: path, Data: data, From: setup.EnvTuningConfig}
	}
	if loc := strings.TrimSpace(getenv(EnvRulesBundle)); loc != "" {
		if opts.Bundle, err = bundleSource(ctx, cfg, getenv, loc, log); err != nil {
			return nil, err
		}
	}
	return ruleset.NewRuntime(ctx, opts)
}

// bundleSource is the rules bundle RULES_BUNDLE names, with its verification key and the
// reload interval and fetch timeout of the environment.
func bundleSource(ctx context.Context, cfg aws.Config, getenv func(string) string, loc string, log *slog.Logger) (*ruleset.BundleSource, error) {
	where, err := reload.ParseS3URL(loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvRulesBundle, err)
	}
	b := &ruleset.BundleSource{Where: where, Interval: reload.DefaultInterval, Timeout: reload.DefaultTimeout}
	material, from, err := rulesKeyMaterial(ctx, func() parameterAPI { return ssm.NewFromConfig(cfg) }, getenv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if strings.TrimSpace(material) != "" {
		if b.Key, err = bundle.LoadKey(material, getenv(EnvRulesKeyAlgorithm)); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	} else {
		log.Warn(EnvRulesPublicKey + " not set: the rules bundle's signature is not verified")
	}
	for _, s := range []struct {
		name string
		into *time.Duration
	}{{EnvRulesReloadSeconds, &b.Interval}, {EnvRulesFetchTimeoutSeconds, &b.Timeout}} {
		if v := strings.TrimSpace(getenv(s.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s: want a whole number of seconds >= 1, got %q", s.name, v)
			}
			*s.into = time.Duration(n) * time.Second
		}
	}
	b.Client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		// moto and other S3 endpoints by address, as replay does
		o.UsePathStyle = cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
		// The bundle's signature, not a response checksum, is what the detector trusts.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	return b, nil
}
