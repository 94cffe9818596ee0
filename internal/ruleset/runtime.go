package ruleset

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/reload"
	"github.com/trailhound/trailhound/internal/route"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/tuning"
)

// This file is the rule set's lifetime in a process: the set built once from team pack
// directories and the tuning file (a CLI run, a Lambda function without a bundle), or kept
// current from a signed rules bundle in S3 (internal/reload), the routing of each set's
// alerts over its teams' routes, and the health alerts a process owes: one per broken team
// pack of a newly active set, one per refused bundle. The runtime hands them over (Active);
// the pipeline delivers them (pipeline.Pipeline.DeliverHealth), so they are claimed,
// counted and retried as any alert is.

// Metrics of the rules bundle (Runtime.Metrics), emitted by the Lambda as EMF.
const (
	// MetricBundleRefused counts bundles refused (signature, limits, compile): an alarm in
	// deploy/template.yaml watches it, and a health alert is delivered.
	MetricBundleRefused = "bundle_refused"
	// MetricBundleUnavailable counts checks of the bundle that failed or timed out.
	MetricBundleUnavailable = "bundle_unavailable"
)

// TuningFile is an org tuning file's name and bytes, validated against each set it joins.
type TuningFile struct {
	Name string
	Data []byte
	// From names the setting the file came from (TUNING_CONFIG), for NewRuntime's errors.
	From string
}

// Load validates and compiles the tuning file against set's rules.
func (t *TuningFile) Load(set *Set) (*tuning.Policy, error) {
	return tuning.Load(t.Name, t.Data, time.Now(), set.KnownRules())
}

// BundleSource is a signed rules bundle in S3 that the runtime keeps current.
type BundleSource struct {
	Client reload.S3API
	Where  reload.Location
	// Key verifies the bundle's signature; nil: the signature is not verified.
	Key *bundle.Key
	// Interval is the least time between two checks of the bundle's ETag, Timeout bounds
	// each check (reload.Options).
	Interval, Timeout time.Duration
}

// RuntimeOptions configure a Runtime.
type RuntimeOptions struct {
	// Builtin is the built-in pack and BuiltinEngine its compilation, used as is when there
	// are no team packs and reused by every set built with team packs.
	Builtin       *rule.Pack
	BuiltinEngine *engine.Engine
	// Deadline and PackDeadline bound one rule, and one team pack's rules, on one event.
	Deadline, PackDeadline time.Duration
	// Teams are the team packs shipped beside the built-in pack (directories).
	Teams []team.Source
	// Tuning is the org tuning file of the deployment; a tuning file in the bundle wins.
	Tuning *TuningFile
	// Bundle, when set, is the rules bundle to keep current; the runtime fetches it in Init
	// and checks it again in the background.
	Bundle *BundleSource
	// Default is where alerts go that no team route takes (the default route). Open opens
	// the senders of the teams' routes and the tuning file's staging routes; when nil, every
	// alert, staged ones included, goes to Default (the CLI prints them all).
	Default delivery.Sender
	Open    route.Opener
	// Log, when set, is told when a set becomes active, and about broken packs and unusable
	// routes.
	Log *slog.Logger
}

// Runtime provides the active rule set and the sink that routes its alerts. It is safe for
// concurrent use.
type Runtime struct {
	opts    RuntimeOptions
	log     *slog.Logger
	static  *Set
	watcher *reload.Watcher[*Set]

	mu     sync.Mutex
	active *Active

	pmu      sync.Mutex
	health   []*alert.Alert // owed and not handed over yet
	refusals int64          // not yet drained by Metrics
	failures int64
}

// Active is the rule set a pipeline runs and where its alerts go. Health lists the health
// alerts the runtime owes that no earlier Current handed over: deliver them through the
// pipeline (DeliverHealth).
type Active struct {
	Set  *Set
	Sink delivery.Sender
	// StagingRoute: Sink delivers the alerts of staged rules (pipeline.Pipeline.StagingRoute).
	StagingRoute bool
	Health       []*alert.Alert
}

// NewRuntime builds the set of the built-in pack, the team packs and the tuning file, and
// sets up the bundle's watcher when there is one. It does not fetch the bundle: Init does.
func NewRuntime(ctx context.Context, opts RuntimeOptions) (*Runtime, error) {
	rt := &Runtime{opts: opts, log: opts.Log, static: FromEngine(opts.BuiltinEngine)}
	if rt.log == nil {
		rt.log = slog.New(slog.DiscardHandler)
	}
	if len(opts.Teams) > 0 {
		set, err := Build(ctx, opts.Builtin, Load(opts.Teams, time.Now()),
			Options{Lib: opts.Builtin.Lib(), Deadline: opts.Deadline, PackDeadline: opts.PackDeadline, Reuse: opts.BuiltinEngine})
		if err != nil {
			return nil, err
		}
		rt.static = set
	}
	if opts.Tuning != nil {
		var err error
		if rt.static.Tuning, err = opts.Tuning.Load(rt.static); err != nil {
			if opts.Tuning.From != "" {
				err = fmt.Errorf("%s: %w", opts.Tuning.From, err)
			}
			return nil, err
		}
	}
	if b := opts.Bundle; b != nil {
		base := Options{Lib: opts.Builtin.Lib(), Deadline: opts.Deadline, PackDeadline: opts.PackDeadline}
		rt.watcher = reload.New(b.Client, b.Where, rt.static, BundleBuilder(opts.Builtin, opts.Teams, opts.Tuning, b.Key, b.Where.String(), base),
			reload.Options{Interval: b.Interval, Timeout: b.Timeout, Background: true, OnProblem: rt.onProblem, Log: opts.Log})
	}
	return rt, nil
}

// BundleBuilder builds a rule set from a rules bundle's content (reload.BuildFunc): the
// built-in pack, the team packs of sources and of the bundle. A bundle that does not read or
// verify is refused; a team pack in it that does not load or compile leaves that team on its
// previous pack. The bundle's tuning file, when it carries one, wins over tuned; either is
// validated against the new set's rules, and a bundle whose tuning file does not validate is
// refused like one that does not verify. base gives the lib and the deadlines; the set the
// bundle replaces is its Previous.
func BundleBuilder(builtin *rule.Pack, sources []team.Source, tuned *TuningFile, key *bundle.Key, name string, base Options) reload.BuildFunc[*Set] {
	return func(ctx context.Context, body io.Reader, v reload.Version, current *Set) (*Set, error) {
		c, err := bundle.Read(body, name, bundle.Options{Key: key})
		if err != nil {
			return nil, err
		}
		revision := v.String()
		if c.Revision != "" {
			revision = "revision " + c.Revision + ", " + revision
		}
		all := append(append([]team.Source{}, sources...), c.Sources...)
		opts := base
		opts.Previous, opts.Revision, opts.Reuse = current, revision, nil
		set, err := Build(ctx, builtin, Load(all, time.Now()), opts)
		if err != nil {
			return nil, err
		}
		t := tuned // the deployment's file, unless the bundle carries one
		if c.Tuning != nil {
			t = &TuningFile{Name: c.TuningName, Data: c.Tuning}
		}
		if t != nil {
			if set.Tuning, err = t.Load(set); err != nil {
				return nil, fmt.Errorf("bundle %s: %w", name, err)
			}
		}
		return set, nil
	}
}

// Init fetches the bundle (if any), bounded by its timeout, and activates the rules.
func (rt *Runtime) Init(ctx context.Context) *Active {
	if rt.watcher != nil {
		rt.watcher.Refresh(ctx)
	}
	return rt.Current(ctx)
}

// Current returns the active rule set, the sink that routes its alerts, and the health
// alerts owed since the previous call (for the broken packs of a set that became active, for
// bundles refused). With a bundle it starts a due check in the background.
func (rt *Runtime) Current(ctx context.Context) *Active {
	set := rt.static
	if rt.watcher != nil {
		set, _, _ = rt.watcher.Current(ctx)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.active == nil || rt.active.Set != set {
		rt.activate(set)
	}
	out := *rt.active
	out.Health = rt.owed()
	return &out
}

// activate makes set the active one, with its router, and owes its health alerts.
func (rt *Runtime) activate(set *Set) {
	a := &Active{Set: set, Sink: rt.opts.Default, StagingRoute: true}
	if rt.opts.Open != nil {
		opts := route.Options{HealthRuleID: HealthRuleID, BuiltinTeam: BuiltinTeam}
		if set.Tuning != nil {
			opts.Staging = set.Tuning.File.StagingRoutes
		}
		router, err := route.New(rt.opts.Default, set.Teams, rt.opts.Open, opts)
		if err != nil {
			rt.log.Error("team or staging routes unusable: every alert goes to the default route, staged alerts to none", "err", err)
			router, _ = route.New(rt.opts.Default, nil, rt.opts.Open, route.Options{HealthRuleID: HealthRuleID, BuiltinTeam: BuiltinTeam})
		}
		a.Sink, a.StagingRoute = router, set.HasStagingRoutes()
	}
	rt.active = a
	rt.log.Info("rules active", "revision", set.Revision, "teams", set.TeamNames(), "broken", len(set.Broken), "rules", set.Describe())
	for _, b := range set.Broken {
		rt.log.Error("team rule pack not loaded", "team", b.Team, "pack", b.Origin, "kept", b.Kept, "err", b.Err)
	}
	rt.pmu.Lock()
	rt.health = append(rt.health, set.HealthAlerts()...)
	rt.pmu.Unlock()
}

// onProblem records a watcher problem: a refused bundle is owed a health alert.
func (rt *Runtime) onProblem(p reload.Problem) {
	rt.pmu.Lock()
	defer rt.pmu.Unlock()
	if !p.Refused {
		rt.failures++
		return
	}
	rt.refusals++
	active := ""
	if p.Active != (reload.Version{}) {
		active = "the rules of " + p.Active.String()
	}
	rt.health = append(rt.health, BundleHealthAlert(rt.opts.Bundle.Where.String(), p.Version.String(), bundle.RefusalReason(p.Err), p.Err, active, time.Now()))
}

// owed hands over the health alerts owed, once.
func (rt *Runtime) owed() []*alert.Alert {
	rt.pmu.Lock()
	defer rt.pmu.Unlock()
	out := rt.health
	rt.health = nil
	return out
}

// Metrics returns the bundle refusals and failed checks since the last call, by metric name.
func (rt *Runtime) Metrics() map[string]int64 {
	rt.pmu.Lock()
	defer rt.pmu.Unlock()
	out := map[string]int64{MetricBundleRefused: rt.refusals, MetricBundleUnavailable: rt.failures}
	rt.refusals, rt.failures = 0, 0
	return out
}

// Wait waits for a background check of the bundle to finish (tests).
func (rt *Runtime) Wait() {
	if rt.watcher != nil {
		rt.watcher.Wait()
	}
}
