package function

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/version"
)

//go:generate go test -run ^TestDeployTemplatesCarryDetectorPattern$ -count=1 -update-pattern .

// LambdaMode reports whether the process was started by AWS Lambda (or a Runtime API
// emulator): then it is the function handler instead of the CLI.
func LambdaMode() bool { return settings.LambdaMode(os.Getenv) }

// Main initialises the handler and serves invocations from the Lambda Runtime API until
// the process is stopped; it never returns. An initialisation error exits the process with
// status 1 after logging it: Lambda reports the init failure and retries.
func Main() {
	level, lerr := settings.LoadLogLevel(os.Getenv)
	log := obs.NewLogger(os.Stderr, level)
	// The Lambda library reports handler errors through the standard log package: route it
	// through the same JSON handler so every line of the log is JSON.
	slog.SetDefault(log)
	if lerr != nil {
		log.Warn("using log level info", "err", lerr)
	}
	if settings.BacktestMode(os.Getenv) {
		backtestLambdaMain(log) // the backtest function (backtest_lambda.go)
	}
	start := time.Now()
	h, err := newLambdaHandler(context.Background(), os.Getenv, log, os.Stdout)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	log.Info("init done", "init_ms", time.Since(start).Milliseconds(), "version", version.String())
	lambda.Start(h.Handle)
}

// lambdaAWSConfig is the SDK configuration of Lambda mode, in both binaries: the environment as
// the Lambda runtime sets it (awsenv: AWS_REGION, the execution role's credentials,
// AWS_ENDPOINT_URL, ...; no profiles, SSO or other credential providers), with the sinks'
// retry policy (sink.Retryer) for every client: the sinks, the DynamoDB state, IAM and S3. It
// reads the process environment, as the SDK's clients do, not newLambdaHandler's getenv.
func lambdaAWSConfig() (aws.Config, error) {
	cfg, err := awsenv.Load(os.Getenv, awsenv.Options{Retryer: sink.Retryer})
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	return cfg, nil
}

// newLambdaHandler builds the handler from the environment (internal/settings; getenv is
// os.Getenv in production): the built-in rule pack, the sinks
// (sink.FromSettings; at least one is required, since alerts would otherwise only reach a log),
// the idempotency store (DynamoDB when STATE_TABLE is set, else per-container memory) and the
// IAM enricher (unless ENRICH=false). The idempotency store and the dedup and threshold
// windows share the STATE_TABLE. Once every setting is checked, and before the first AWS
// call (the rules bundle), it fails when the environment holds no AWS credentials.
func newLambdaHandler(ctx context.Context, getenv func(string) string, log *slog.Logger, metrics io.Writer) (*lambdaHandler, error) {
	fn, err := settings.LoadFunction(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	builtin, eng, err := setup.LoadBuiltinOn(ctx, fn.Cores)
	if err != nil {
		return nil, err
	}
	cfg, err := lambdaAWSConfig()
	if err != nil {
		return nil, err
	}
	sinks, err := sink.FromSettings(cfg, fn.Destinations)
	if err != nil {
		return nil, fmt.Errorf("configure sinks: %w", err)
	}
	if len(sinks.Sinks) == 0 {
		return nil, errors.New("no alert destination configured: set ALERT_QUEUE_URL, ALERT_TOPIC_ARN, ALERT_BUS_NAME, SECURITY_HUB=true, ALERT_FIREHOSE_STREAM, PAGERDUTY_SECRET, SLACK_SECRET or WEBHOOK_URL with WEBHOOK_SECRET")
	}
	h := &lambdaHandler{
		engine:     eng,
		sink:       sinks,
		log:        log,
		metrics:    metrics,
		dimensions: map[string]string{"FunctionName": fn.FunctionName},
		now:        time.Now,

		stateTimeout: lambdaStateTimeout,
	}
	if table := fn.StateTable; table != "" {
		ddb := dynamodb.NewFromConfig(cfg)
		h.idempotency = state.NewDynamo(ddb, table) // claims are committed by the pipeline
		h.windows = state.NewDynamoWindows(ddb, table)
	} else {
		log.Warn("STATE_TABLE not set: idempotency and dedup windows are per warm container only, so redelivered events can raise duplicate alerts")
		h.idempotency = state.NewMemory()
		h.windows = state.NewMemoryWindows()
	}
	if h.rules, err = newLambdaRules(ctx, cfg, fn, builtin, eng, sinks, log); err != nil {
		return nil, err
	}
	if h.enricher, err = newEnricher(cfg, eng, fn.Enrichment); err != nil {
		return nil, err
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	// Fetch the bundle (if any) during init, bounded, not in the first invocation, and deliver
	// the health alerts of the rules it activates.
	active := h.rules.Init(ctx)
	deliverHealth(ctx, h.pipeline(ctx, log, active), active.Health, log)
	log.Info("configured", "sinks", sinks.Names(), "rules", len(eng.Rules()), "state_table", fn.StateTable != "", "enrich", h.enricher != nil)
	return h, nil
}
