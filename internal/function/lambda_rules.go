package function

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/reload"
	"github.com/trailhound/trailhound/internal/route"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
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

// Metrics of the rules bundle, emitted (EMF) by the invocation after they happened.
const (
	// MetricBundleRefused counts bundles refused (signature, limits, compile): an alarm in
	// deploy/template.yaml watches it, and a health alert is delivered.
	MetricBundleRefused = "bundle_refused"
	// MetricBundleUnavailable counts checks of the bundle that failed or timed out.
	MetricBundleUnavailable = "bundle_unavailable"
)

// lambdaRules provides the active rule set, and the router over its teams' routes, to each
// invocation. With RULES_BUNDLE, the bundle is checked at most every RULES_RELOAD_SECONDS
// (HeadObject) and a new version is activated without a restart; a bundle that fails to
// read or verify is refused and the last good rules stay. When a new set becomes active,
// its revision is logged and a health alert is delivered for each broken team pack.
//
// The bundle is fetched at init, bounded by RULES_FETCH_TIMEOUT_SECONDS (init goes on with
// the built-in rules when S3 does not answer); reload checks run in the background, so an
// invocation never waits on S3. A refused bundle is counted (bundle_refused, drained into
// the invocation's metrics) and reported by a health alert; a failed check is counted
// (bundle_unavailable).
type lambdaRules struct {
	def     route.Sender
	open    route.Opener
	log     *slog.Logger
	claims  pipeline.Idempotency // sends each health alert once per fleet; may be nil
	static  *ruleset.Set         // the rules when there is no bundle
	watcher *reload.Watcher[*ruleset.Set]

	mu     sync.Mutex
	set    *ruleset.Set
	router *route.Router

	pmu       sync.Mutex
	problems  []reload.Problem // not yet reported by a health alert
	refusals  int64            // not yet emitted as metrics
	failures  int64
	bundleLoc string
}

// onProblem records a watcher problem; the next current call reports it.
func (r *lambdaRules) onProblem(p reload.Problem) {
	r.pmu.Lock()
	defer r.pmu.Unlock()
	if p.Refused {
		r.refusals++
		r.problems = append(r.problems, p)
	} else {
		r.failures++
	}
}

// drainMetrics returns the bundle refusals and failed checks since the last call.
func (r *lambdaRules) drainMetrics() map[string]int64 {
	r.pmu.Lock()
	defer r.pmu.Unlock()
	out := map[string]int64{MetricBundleRefused: r.refusals, MetricBundleUnavailable: r.failures}
	r.refusals, r.failures = 0, 0
	return out
}

// reportProblems delivers a health alert for each refused bundle not reported yet.
func (r *lambdaRules) reportProblems(ctx context.Context) {
	r.pmu.Lock()
	problems := r.problems
	r.problems = nil
	r.pmu.Unlock()
	var alerts []*alert.Alert
	for _, p := range problems {
		active := ""
		if p.Active != (reload.Version{}) {
			active = "the rules of " + p.Active.String()
		}
		alerts = append(alerts, ruleset.BundleHealthAlert(r.bundleLoc, p.Version.String(), bundle.RefusalReason(p.Err), p.Err, active, time.Now()))
	}
	r.sendHealth(ctx, alerts)
}

// newLambdaRules loads the team packs of TEAMS_CONFIG beside the built-in pack, and sets up
// the RULES_BUNDLE watcher. builtinEngine is the engine of the built-in pack builtin alone:
// used as is when there are no team packs, and its compilation of builtin is reused by the
// rule sets built with team packs, so the built-in pack is parsed and compiled once. It does
// not fetch the bundle: the first current call does.
func newLambdaRules(ctx context.Context, cfg aws.Config, getenv func(string) string, builtin *rule.Pack, builtinEngine *engine.Engine, def route.Sender, claims pipeline.Idempotency, log *slog.Logger) (*lambdaRules, error) {
	r := &lambdaRules{def: def, open: route.AWSOpener(cfg, getenv), log: log, claims: claims, static: ruleset.FromEngine(builtinEngine)}
	var dirSources []team.Source
	var err error
	if dirs := setup.TeamDirs(nil, getenv); len(dirs) > 0 {
		if dirSources, err = team.Dirs(dirs); err != nil {
			return nil, fmt.Errorf("%s: %w", setup.EnvTeamsConfig, err)
		}
	}
	var tuned *localTuning
	if path := setup.TuningPath("", getenv); path != "" {
		data, err := setup.ReadTuning(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", setup.EnvTuningConfig, err)
		}
		tuned = &localTuning{name: path, data: data}
	}
	loc := strings.TrimSpace(getenv(EnvRulesBundle))
	lib := builtin.Lib()
	if len(dirSources) > 0 {
		if r.static, err = ruleset.Build(ctx, builtin, ruleset.Load(dirSources, time.Now()), ruleset.Options{Lib: lib, Reuse: builtinEngine, Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline}); err != nil {
			return nil, err
		}
	}
	if tuned != nil {
		if r.static.Tuning, err = tuned.load(r.static); err != nil {
			return nil, fmt.Errorf("%s: %w", setup.EnvTuningConfig, err)
		}
	}
	if loc == "" {
		return r, nil // no bundle: nothing more to fetch
	}
	where, err := reload.ParseS3URL(loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvRulesBundle, err)
	}
	var key *bundle.Key
	material, from, err := rulesKeyMaterial(ctx, func() parameterAPI { return ssm.NewFromConfig(cfg) }, getenv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if strings.TrimSpace(material) != "" {
		if key, err = bundle.LoadKey(material, getenv(EnvRulesKeyAlgorithm)); err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	} else {
		log.Warn(EnvRulesPublicKey + " not set: the rules bundle's signature is not verified")
	}
	interval := reload.DefaultInterval
	if v := strings.TrimSpace(getenv(EnvRulesReloadSeconds)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: want a whole number of seconds >= 1, got %q", EnvRulesReloadSeconds, v)
		}
		interval = time.Duration(n) * time.Second
	}
	timeout := reload.DefaultTimeout
	if v := strings.TrimSpace(getenv(EnvRulesFetchTimeoutSeconds)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: want a whole number of seconds >= 1, got %q", EnvRulesFetchTimeoutSeconds, v)
		}
		timeout = time.Duration(n) * time.Second
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// moto and other S3 endpoints by address, as replay does
		o.UsePathStyle = cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
		// The bundle's signature, not a response checksum, is what the detector trusts.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	build := bundleBuilder(builtin, lib, dirSources, tuned, key, where.String())
	r.bundleLoc = where.String()
	r.watcher = reload.New(client, where, r.static, build, reload.Options{
		Interval: interval, Timeout: timeout, Background: true, OnProblem: r.onProblem, Log: log,
	})
	return r, nil
}

// bundleBuilder builds a rule set from a bundle's content: the team packs of TEAMS_CONFIG
// and of the bundle. A bundle that does not read or verify is refused; a team pack in it
// that does not load or compile leaves that team on its previous pack.
//
// The bundle's tuning file, when it carries one, wins over TUNING_CONFIG's (tuned); either
// is validated against the new set's rules, and a bundle whose tuning file does not
// validate is refused like one that does not verify.
func bundleBuilder(builtin *rule.Pack, lib map[string]*ast.Module, dirSources []team.Source, tuned *localTuning, key *bundle.Key, name string) reload.BuildFunc[*ruleset.Set] {
	return func(ctx context.Context, body io.Reader, v reload.Version, current *ruleset.Set) (*ruleset.Set, error) {
		c, err := bundle.Read(body, name, bundle.Options{Key: key})
		if err != nil {
			return nil, err
		}
		revision := v.String()
		if c.Revision != "" {
			revision = "revision " + c.Revision + ", " + revision
		}
		sources := append(append([]team.Source{}, dirSources...), c.Sources...)
		set, err := ruleset.Build(ctx, builtin, ruleset.Load(sources, time.Now()), ruleset.Options{Lib: lib, Previous: current, Revision: revision, Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline})
		if err != nil {
			return nil, err
		}
		t := tuned // the deployment package's file, unless the bundle carries one
		if c.Tuning != nil {
			t = &localTuning{name: c.TuningName, data: c.Tuning}
		}
		if t != nil {
			if set.Tuning, err = t.load(set); err != nil {
				return nil, fmt.Errorf("bundle %s: %w", name, err)
			}
		}
		return set, nil
	}
}

// localTuning is a tuning file's bytes, validated again against each rule set it joins.
type localTuning struct {
	name string
	data []byte
}

func (t *localTuning) load(set *ruleset.Set) (*tuning.Policy, error) {
	return tuning.Load(t.name, t.data, time.Now(), set.KnownRules())
}

// init fetches the bundle (if any) inline, bounded by its timeout, and activates the rules.
func (r *lambdaRules) init(ctx context.Context) {
	if r.watcher != nil {
		r.watcher.Refresh(ctx)
	}
	r.current(ctx)
}

// current returns the active rule set and the sink that routes its alerts.
func (r *lambdaRules) current(ctx context.Context) (*ruleset.Set, pipeline.Sink) {
	set := r.static
	if r.watcher != nil {
		set, _, _ = r.watcher.Current(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if set == r.set {
		r.reportProblems(ctx)
		return r.set, r.router
	}
	opts := route.Options{HealthRuleID: ruleset.HealthRuleID, BuiltinTeam: ruleset.BuiltinTeam}
	if set.Tuning != nil {
		opts.Staging = set.Tuning.File.StagingRoutes
	}
	router, err := route.New(r.def, set.Teams, r.open, opts)
	if err != nil {
		r.log.Error("team or staging routes unusable: every alert goes to the default route, staged alerts to none", "err", err)
		router, _ = route.New(r.def, nil, r.open, route.Options{HealthRuleID: ruleset.HealthRuleID, BuiltinTeam: ruleset.BuiltinTeam})
	}
	r.set, r.router = set, router
	r.log.Info("rules active", "revision", set.Revision, "teams", set.TeamNames(), "broken", len(set.Broken), "rules", set.Describe())
	for _, b := range set.Broken {
		r.log.Error("team rule pack not loaded", "team", b.Team, "pack", b.Origin, "kept", b.Kept, "err", b.Err)
	}
	r.sendHealth(ctx, set.HealthAlerts())
	r.reportProblems(ctx)
	return r.set, r.router
}

// sendHealth delivers health alerts, each once per fleet when an idempotency store is set.
func (r *lambdaRules) sendHealth(ctx context.Context, alerts []*alert.Alert) {
	for _, a := range alerts {
		if r.claims != nil {
			fresh, err := r.claims.Claim(ctx, a.ID, time.Now())
			if err != nil {
				r.log.Warn("health alert idempotency check failed; sending it anyway", "alert_id", a.ID, "err", err)
			} else if !fresh {
				continue
			}
		}
		if err := r.router.Send(ctx, []*alert.Alert{a}); err != nil {
			r.log.Error("health alert not delivered", "alert_id", a.ID, "team", a.Rule.Team, "err", err)
			if r.claims != nil {
				_ = r.claims.Release(ctx, a.ID)
			}
			continue
		}
		if c, ok := r.claims.(pipeline.Committer); ok {
			if err := c.Commit(ctx, a.ID); err != nil {
				r.log.Warn("health alert claim not committed", "alert_id", a.ID, "err", err)
			}
		}
		r.log.Info("health alert delivered", "alert_id", a.ID, "team", a.Rule.Team)
	}
}
