package function

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/backtest"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/reload"
	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/sink"
)

// backtestLambdaMain serves backtest invocations; it never returns. BACKTEST_BUCKET, set on
// the backtest function of deploy/backtest.yaml, makes the Lambda a backtest worker and
// reduce (internal/backtest) instead of the live detector: runs write under this bucket
// only, and a run's rules bundle must be in it.
func backtestLambdaMain(log *slog.Logger) {
	h, err := NewBacktestHandler(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// BacktestHandler handles the two invocations of a backtest state machine: a batch of the
// Distributed Map ({"Items": [...], "BatchInput": {"Settings": ...}}) and the reduce
// ({"Reduce": Settings, "Map": ..., ...}).
type BacktestHandler struct {
	bucket  string
	worker  *backtest.Worker
	reducer *backtest.Reducer
	log     *slog.Logger
}

func NewBacktestHandler(ctx context.Context, getenv func(string) string, log *slog.Logger) (*BacktestHandler, error) {
	conf, err := settings.LoadBacktest(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	builtin, eng, err := setup.LoadBuiltinOn(ctx, conf.Cores)
	if err != nil {
		return nil, err
	}
	cfg, err := lambdaAWSConfig()
	if err != nil {
		return nil, err
	}
	var key *bundle.Key
	if conf.PublicKey != "" {
		if key, err = bundle.LoadKey(conf.PublicKey, conf.KeyAlgorithm); err != nil {
			return nil, fmt.Errorf("%s: %w", settings.RulesPublicKey.Name, err)
		}
	}
	client := awsenv.NewS3(cfg, awsenv.S3Trail)
	h := &BacktestHandler{bucket: conf.Bucket, log: log}
	rules := &runRules{client: client, bucket: h.bucket, builtin: builtin, engine: eng, key: key, log: log}
	rt := backtest.Runtime{
		Pipeline: rules.pipeline,
		Trail: func(_ context.Context, trail string) (replay.Source, error) {
			if !replay.IsS3URL(trail) {
				return nil, fmt.Errorf("trail %q: want s3://bucket/prefix", trail)
			}
			return replay.NewS3(client, trail)
		},
		Store: func(_ context.Context, run string) (backtest.Store, error) { return backtest.NewS3Store(client, run) },
	}
	h.worker = &backtest.Worker{Runtime: rt}
	h.reducer = &backtest.Reducer{Runtime: rt,
		Results: func(_ context.Context, bucket string) (backtest.Store, error) {
			return &backtest.S3Store{Client: client, Bucket: bucket}, nil
		},
		OnError: func(err error) { log.Warn("record problem", "err", err) },
	}
	if dest, err := sink.FromSettings(cfg, conf.Destinations); err != nil {
		return nil, fmt.Errorf("configure sinks: %w", err)
	} else if len(dest.Sinks) > 0 {
		h.reducer.Destinations = dest
	}
	log.Info("backtest function configured", "bucket", h.bucket, "rules_key", key != nil, "destinations", h.reducer.Destinations != nil)
	return h, nil
}

// Handle dispatches on the payload's shape.
func (h *BacktestHandler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("backtest payload: %w", err)
	}
	switch {
	case probe["Items"] != nil:
		b, err := backtest.DecodeBatch(payload)
		if err != nil {
			return nil, err
		}
		if err := h.allowed(b.BatchInput.Settings); err != nil {
			return nil, err
		}
		res, err := h.worker.Handle(ctx, b)
		h.log.Info("batch", "items", res.Items, "kept", res.Kept, "records", res.Records, "candidates", res.Candidates, "err", err)
		return res, err
	case probe["Reduce"] != nil:
		var in backtest.ReduceInput
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("backtest reduce input: %w", err)
		}
		if err := h.allowed(in.Reduce); err != nil {
			return nil, err
		}
		sum, err := h.reducer.Handle(ctx, in)
		if err != nil {
			return nil, err
		}
		h.log.Info("reduced", "summary", sum.Outcome, "left_out", len(sum.LeftOut), "delivered", sum.Delivered)
		sum.LeftOut = nil // in summary.json; keep the state's output small
		return sum, nil
	}
	return nil, errors.New("not a backtest payload: want a Distributed Map batch (Items, BatchInput) or a reduce (Reduce)")
}

// allowed refuses runs that write outside the function's bucket or read rules from elsewhere.
func (h *BacktestHandler) allowed(s backtest.Settings) error {
	for what, u := range map[string]string{"run": s.Run, "rules": s.Rules} {
		if u == "" && what == "rules" {
			continue
		}
		bucket, _, err := backtest.ParseS3URL(u)
		if err != nil {
			return fmt.Errorf("backtest %s: %w", what, err)
		}
		if bucket != h.bucket {
			return fmt.Errorf("backtest %s %s: this function works in s3://%s only (%s)", what, u, h.bucket, settings.BacktestBucket.Name)
		}
	}
	return nil
}

// runRules builds the pipeline of a run: the built-in pack, and the team packs of the run's
// bundle (verified with RULES_PUBLIC_KEY when set), cached by bundle URL.
type runRules struct {
	client  *s3.Client
	bucket  string
	builtin *rule.Pack
	engine  *engine.Engine
	key     *bundle.Key
	log     *slog.Logger

	mu   sync.Mutex
	sets map[string]*ruleset.Set
}

func (r *runRules) pipeline(ctx context.Context, s backtest.Settings) (*pipeline.Pipeline, error) {
	set, err := r.set(ctx, s.Rules)
	if err != nil {
		return nil, err
	}
	p := &pipeline.Pipeline{}
	p.Rules, p.StagingRoute = set, set.HasStagingRoutes()
	return p, nil
}

func (r *runRules) set(ctx context.Context, url string) (*ruleset.Set, error) {
	if url == "" {
		return ruleset.FromEngine(r.engine), nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if set, ok := r.sets[url]; ok {
		return set, nil
	}
	where, err := reload.ParseS3URL(url)
	if err != nil {
		return nil, fmt.Errorf("backtest rules: %w", err)
	}
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(where.Bucket), Key: aws.String(where.Key)})
	if err != nil {
		return nil, fmt.Errorf("backtest rules %s: %w", url, err)
	}
	defer out.Body.Close()
	if r.key == nil {
		r.log.Warn(settings.RulesPublicKey.Name + " not set: the run's rules bundle is not verified")
	}
	build := ruleset.BundleBuilder(r.builtin, nil, nil, r.key, url, ruleset.Options{Lib: r.builtin.Lib(), Deadline: setup.RuleDeadline, PackDeadline: setup.PackDeadline})
	set, err := build(ctx, out.Body, reload.Version{ETag: aws.ToString(out.ETag)}, ruleset.FromEngine(r.engine))
	if err != nil {
		return nil, err
	}
	if r.sets == nil {
		r.sets = map[string]*ruleset.Set{}
	}
	r.sets[url] = set
	return set, nil
}
