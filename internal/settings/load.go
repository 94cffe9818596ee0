package settings

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Destinations are the default route's alert destinations (internal/sink). The minimum
// severities are "" when unset (the sink applies the destination's default, as it does for
// a team's routes).
type Destinations struct {
	QueueURL       string
	TopicARN       string
	BusName        string
	SecurityHub    bool
	FirehoseStream string

	PagerDutySecret      string
	PagerDutyEventsURL   string
	PagerDutyMinSeverity string
	SlackSecret          string
	SlackMinSeverity     string
	WebhookURL           string
	WebhookSecret        string
	WebhookMinSeverity   string
}

// LoadDestinations reads the destination variables.
func LoadDestinations(getenv func(string) string) (Destinations, error) {
	var d Destinations
	var errs []error
	str := func(v *Var, to *string) {
		var err error
		if *to, err = v.Parse(getenv); err != nil {
			errs = append(errs, err)
		}
	}
	optional := func(v *Var, to *string) {
		if _, ok := v.lookup(getenv); ok {
			str(v, to)
		}
	}
	str(QueueURL, &d.QueueURL)
	str(TopicARN, &d.TopicARN)
	str(BusName, &d.BusName)
	str(FirehoseStream, &d.FirehoseStream)
	str(PagerDutySecret, &d.PagerDutySecret)
	str(PagerDutyEventsURL, &d.PagerDutyEventsURL)
	optional(PagerDutyMinSeverity, &d.PagerDutyMinSeverity)
	str(SlackSecret, &d.SlackSecret)
	optional(SlackMinSeverity, &d.SlackMinSeverity)
	str(WebhookURL, &d.WebhookURL)
	str(WebhookSecret, &d.WebhookSecret)
	optional(WebhookMinSeverity, &d.WebhookMinSeverity)
	var err error
	if d.SecurityHub, err = SecurityHub.Bool(getenv); err != nil {
		errs = append(errs, err)
	}
	return d, errors.Join(errs...)
}

// Sources are the rule sources beside the built-in pack the environment names: team pack
// directories and the org tuning file. The CLI's --rules and --tuning win over them.
type Sources struct {
	TeamDirs []string // TEAMS_CONFIG
	Tuning   string   // TUNING_CONFIG
}

// LoadSources reads TEAMS_CONFIG and TUNING_CONFIG; neither can be malformed.
func LoadSources(getenv func(string) string) Sources {
	return Sources{TeamDirs: TeamsConfig.Paths(getenv), Tuning: TuningConfig.Value(getenv)}
}

// Bundle is the signed team rules bundle of the Lambda and its verification key.
type Bundle struct {
	URL            string        // RULES_BUNDLE; "" for none
	PublicKey      string        // RULES_PUBLIC_KEY, as is
	KeyParameter   string        // RULES_PUBLIC_KEY_PARAMETER
	KeyAlgorithm   string        // RULES_KEY_ALGORITHM
	ReloadInterval time.Duration // RULES_RELOAD_SECONDS
	FetchTimeout   time.Duration // RULES_FETCH_TIMEOUT_SECONDS
}

// LoadBundle reads the bundle variables. Setting both RULES_PUBLIC_KEY and
// RULES_PUBLIC_KEY_PARAMETER is an error.
func LoadBundle(getenv func(string) string) (Bundle, error) {
	var b Bundle
	var errs []error
	b.URL = RulesBundle.Value(getenv)
	b.PublicKey = RulesPublicKey.Value(getenv)
	b.KeyParameter = RulesPublicKeyParameter.Value(getenv)
	b.KeyAlgorithm = RulesKeyAlgorithm.Value(getenv)
	if b.PublicKey != "" && b.KeyParameter != "" {
		errs = append(errs, fmt.Errorf("%s: set %s or %s, not both", RulesPublicKeyParameter.Name, RulesPublicKey.Name, RulesPublicKeyParameter.Name))
	}
	var err error
	if b.ReloadInterval, err = RulesReloadSeconds.Duration(getenv); err != nil {
		errs = append(errs, err)
	}
	if b.FetchTimeout, err = RulesFetchTimeoutSeconds.Duration(getenv); err != nil {
		errs = append(errs, err)
	}
	return b, errors.Join(errs...)
}

// Enrichment configures the IAM lookups.
type Enrichment struct {
	On       bool   // ENRICH
	RoleName string // ENRICH_ROLE_NAME; "" for the own account only
}

// LoadEnrichment reads ENRICH (def when unset: true in Lambda, false in the CLI) and
// ENRICH_ROLE_NAME.
func LoadEnrichment(getenv func(string) string, def bool) (Enrichment, error) {
	on, err := Enrich.BoolOr(getenv, def)
	if err != nil {
		return Enrichment{}, err
	}
	return Enrichment{On: on, RoleName: EnrichRoleName.Value(getenv)}, nil
}

// Function is the configuration of the live detector function.
type Function struct {
	Destinations Destinations
	Sources      Sources
	Bundle       Bundle
	Enrichment   Enrichment
	StateTable   string // "" for per-container state
	FunctionName string // the metrics' FunctionName dimension
	Cores        int    // the vCPUs the function's memory buys (LoadCores), 0 when unknown
}

// LoadFunction reads the live function's variables; the error names every variable it could
// not use.
func LoadFunction(getenv func(string) string) (Function, error) {
	var f Function
	var errs []error
	var err error
	if f.Destinations, err = LoadDestinations(getenv); err != nil {
		errs = append(errs, err)
	}
	f.Sources = LoadSources(getenv)
	if f.Bundle, err = LoadBundle(getenv); err != nil {
		errs = append(errs, err)
	}
	if f.Enrichment, err = LoadEnrichment(getenv, true); err != nil {
		errs = append(errs, err)
	}
	f.StateTable = StateTable.Value(getenv)
	f.FunctionName = FunctionName.Value(getenv)
	if f.Cores, err = LoadCores(getenv); err != nil {
		errs = append(errs, err)
	}
	return f, errors.Join(errs...)
}

// Backtest is the configuration of the backtest function (BACKTEST_BUCKET set).
type Backtest struct {
	Bucket       string
	Cores        int    // the vCPUs the function's memory buys (LoadCores), 0 when unknown
	PublicKey    string // RULES_PUBLIC_KEY: verifies the runs' bundles when set
	KeyAlgorithm string
	Destinations Destinations // where the reduce delivers a run's alerts, when asked to
}

// LoadBacktest reads the backtest function's variables.
func LoadBacktest(getenv func(string) string) (Backtest, error) {
	var b Backtest
	b.Bucket = BacktestBucket.Value(getenv)
	b.PublicKey = RulesPublicKey.Value(getenv)
	b.KeyAlgorithm = RulesKeyAlgorithm.Value(getenv)
	var errs []error
	var err error
	if b.Destinations, err = LoadDestinations(getenv); err != nil {
		errs = append(errs, err)
	}
	if b.Cores, err = LoadCores(getenv); err != nil {
		errs = append(errs, err)
	}
	return b, errors.Join(errs...)
}

// BacktestMode reports whether BACKTEST_BUCKET makes the function the backtest function.
func BacktestMode(getenv func(string) string) bool {
	_, ok := BacktestBucket.lookup(getenv)
	return ok
}

// LambdaMode reports whether the process was started by AWS Lambda (or a Runtime API
// emulator): AWS_LAMBDA_RUNTIME_API is set.
func LambdaMode(getenv func(string) string) bool {
	on, _ := LambdaRuntimeAPI.Bool(getenv) // Presence: no error
	return on
}

// MemoryPerVCPU is the function memory, in MB, that buys one vCPU of Lambda's CPU share.
const MemoryPerVCPU = 1769

// LoadCores reads AWS_LAMBDA_FUNCTION_MEMORY_SIZE as the whole vCPUs its memory buys
// (MemoryPerVCPU MB each), at least 1; 0 when it is unset (not under Lambda's CPU share).
func LoadCores(getenv func(string) string) (int, error) {
	if _, ok := FunctionMemory.lookup(getenv); !ok {
		return 0, nil
	}
	mb, err := FunctionMemory.Int(getenv)
	if err != nil {
		return 0, err
	}
	return max(mb/MemoryPerVCPU, 1), nil
}

// LoadLogLevel reads LOG_LEVEL: debug, info, warn (or warning) or error, in any case. A
// value it cannot use is an error, with slog.LevelInfo, which the caller logs as a warning.
func LoadLogLevel(getenv func(string) string) (slog.Level, error) {
	s, err := LogLevel.Parse(getenv)
	if err != nil {
		return slog.LevelInfo, err
	}
	return ParseLevel(s)
}

// ParseLevel is a LOG_LEVEL value as a slog level ("" is info).
func ParseLevel(s string) (slog.Level, error) {
	name, err := LogLevel.enum(s)
	if s == "" {
		name, err = LogLevel.Default, nil
	}
	if err != nil {
		return slog.LevelInfo, err
	}
	return map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[name], nil
}

// Terminal is what the CLI's --color auto asks of the environment.
type Terminal struct {
	NoColor bool   // NO_COLOR is set
	Term    string // TERM
}

// LoadTerminal reads NO_COLOR and TERM.
func LoadTerminal(getenv func(string) string) Terminal {
	no, _ := NoColor.Bool(getenv) // Presence: no error
	return Terminal{NoColor: no, Term: Term.Value(getenv)}
}

// Color reports whether --color auto may write color on a terminal.
func (t Terminal) Color() bool { return !t.NoColor && t.Term != "dumb" }
