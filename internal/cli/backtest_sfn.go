package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/trailhound/trailhound/internal/backtest"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/rule"
)

// This file runs a backtest on the state machine of deploy/backtest.yaml: it uploads the
// run's rules bundle, starts an execution, follows it (the map run's item counts drive the
// progress bar) and, once it succeeded, prints the reduced run as a local run does.

// sfnAPI is the part of the Step Functions client a backtest uses.
type sfnAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListMapRuns(ctx context.Context, in *sfn.ListMapRunsInput, optFns ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error)
	DescribeMapRun(ctx context.Context, in *sfn.DescribeMapRunInput, optFns ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
}

// Where a run keeps its rules bundle and its execution input.
const (
	rulesBundleKey = "rules.tar.gz"
	runInputKey    = "input.json"
)

// reduceRun is `detector backtest --reduce s3://bucket/run`: the reduce of a run the state
// machine mapped, in this process (no 15-minute limit), with the failures its ResultWriter
// recorded.
func (b *backtestRun) reduceRun(ctx context.Context, run string, out *cliOutput, threshold rule.Severity, accept bool) (int, error) {
	rt, client, err := b.runtime(ctx)
	if err != nil {
		return ExitUsage, err
	}
	store, err := rt.Store(ctx, run)
	if err != nil {
		return ExitUsage, usagef("--reduce: %v", err)
	}
	raw, err := store.Get(ctx, runInputKey, 1<<20)
	if err != nil {
		return ExitUsage, fmt.Errorf("--reduce: %w (was the run started by detector backtest --state-machine?)", err)
	}
	var input backtest.ExecutionInput
	if err := json.Unmarshal(raw, &input); err != nil {
		return ExitUsage, fmt.Errorf("%s: %w", store.URL(runInputKey), err)
	}
	var manifests []string
	if err := store.List(ctx, backtest.ResultsKey+"/", func(k string) error {
		if strings.HasSuffix(k, "/manifest.json") {
			manifests = append(manifests, k)
		}
		return nil
	}); err != nil {
		return ExitPartial, err
	}
	if len(manifests) != 1 {
		return ExitPartial, fmt.Errorf("--reduce: want one map run's ResultWriter manifest under %s, found %d (a map that did not finish writes none)", store.URL(backtest.ResultsKey+"/"), len(manifests))
	}
	bucket, prefix, _ := backtest.ParseS3URL(input.Settings.Run)
	mo := &backtest.MapOutput{MapRunArn: "(from " + store.URL(manifests[0]) + ")"}
	mo.ResultWriterDetails.Bucket, mo.ResultWriterDetails.Key = bucket, prefix+manifests[0]
	r := &backtest.Reducer{Runtime: rt,
		Results: func(_ context.Context, bucket string) (backtest.Store, error) {
			return &backtest.S3Store{Client: client, Bucket: bucket}, nil
		},
		OnError: func(err error) { b.s.errorf("%v", err) },
	}
	sum, err := r.Handle(ctx, backtest.ReduceInput{Reduce: input.Settings, Map: mo, AcceptFailures: accept || input.AcceptFailures})
	if err != nil {
		return ExitPartial, err
	}
	return b.finish(ctx, store, sum, out, threshold, false)
}

func (b *backtestRun) stateMachine(ctx context.Context, st backtest.Settings, out *cliOutput, threshold rule.Severity, machine, inventory string, ruleDirs []string, tuningFile string, key *bundle.Key, accept, deliver bool, poll time.Duration) (int, error) {
	rt, _, err := b.runtime(ctx)
	if err != nil {
		return ExitUsage, err
	}
	store, err := rt.Store(ctx, st.Run)
	if err != nil {
		return ExitUsage, usagef("--run: %v", err)
	}
	if len(ruleDirs) > 0 || tuningFile != "" {
		body, err := rulesBundleOf(ctx, ruleDirs, tuningFile, key)
		if err != nil {
			return ExitUsage, err
		}
		if err := store.Put(ctx, rulesBundleKey, bytes.NewReader(body)); err != nil {
			return ExitPartial, err
		}
		st.Rules = store.URL(rulesBundleKey)
	}
	input, err := backtest.NewExecutionInput(st, inventory, accept, deliver)
	if err != nil {
		return ExitUsage, usagef("%v", err)
	}
	// Kept with the run, so `detector backtest --reduce` can settle it again.
	if body, err := json.Marshal(input); err != nil {
		return ExitPartial, err
	} else if err := store.Put(ctx, runInputKey, bytes.NewReader(body)); err != nil {
		return ExitPartial, err
	}
	cfg, err := cliAWSConfig(ctx, "us-east-1")
	if err != nil {
		return ExitUsage, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := sfn.NewFromConfig(cfg)
	arn, err := startBacktest(ctx, client, machine, input)
	if err != nil {
		return ExitPartial, err
	}
	fmt.Fprintf(b.s.err, "backtest: started %s (run %s)\n", arn, st.Run)
	drawn := false
	desc, err := followBacktest(ctx, client, arn, poll, func(line string) {
		if !b.quiet && isTerminal(b.s.err) {
			fmt.Fprintf(b.s.err, "\r\x1b[K%s", line)
			drawn = true
		}
	})
	if drawn {
		fmt.Fprint(b.s.err, "\r\x1b[K")
	}
	if err != nil {
		return ExitPartial, fmt.Errorf("%w (the execution %s goes on; see the Step Functions console)", err, arn)
	}
	if desc.Status != sfntypes.ExecutionStatusSucceeded {
		return ExitPartial, fmt.Errorf("execution %s %s: %s: %s", arn, desc.Status, aws.ToString(desc.Error), aws.ToString(desc.Cause))
	}
	raw, err := store.Get(ctx, backtest.SummaryKey, 16<<20)
	if err != nil {
		return ExitPartial, err
	}
	var sum backtest.Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		return ExitPartial, fmt.Errorf("%s: %w", store.URL(backtest.SummaryKey), err)
	}
	return b.finish(ctx, store, &sum, out, threshold, true)
}

// startBacktest starts an execution of the backtest state machine with input.
func startBacktest(ctx context.Context, client sfnAPI, machine string, input backtest.ExecutionInput) (string, error) {
	body, err := json.Marshal(input)
	if err != nil {
		return "", err
	}
	name := "backtest-" + time.Now().UTC().Format("20060102T150405Z")
	out, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String(name), Input: aws.String(string(body))})
	if err != nil {
		return "", fmt.Errorf("start %s: %w", machine, err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// followBacktest polls the execution until it ends (or ctx does), reporting the map run's
// item counts as progress: items are the files listed, done the ones that succeeded or failed.
// A map run not (yet) listed, or an API that does not describe it, leaves the bar as it is.
func followBacktest(ctx context.Context, client sfnAPI, arn string, poll time.Duration, progress func(string)) (*sfn.DescribeExecutionOutput, error) {
	started := time.Now()
	var mapRun string
	for {
		desc, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", arn, err)
		}
		if mapRun == "" {
			if runs, err := client.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(arn)}); err == nil && len(runs.MapRuns) > 0 {
				mapRun = aws.ToString(runs.MapRuns[0].MapRunArn)
			}
		}
		if mapRun != "" {
			if mr, err := client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(mapRun)}); err == nil && mr.ItemCounts != nil {
				progress(mapRunLine(mr.ItemCounts, time.Since(started)))
			}
		}
		if desc.Status != sfntypes.ExecutionStatusRunning && desc.Status != sfntypes.ExecutionStatusPendingRedrive {
			return desc, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.New("stopped following")
		case <-time.After(poll):
		}
	}
}

// mapRunLine is the progress line of a map run: the replay bar over its items (the listed
// files; done = succeeded, failed, timed out or aborted), its failures, and the ETA.
func mapRunLine(c *sfntypes.MapRunItemCounts, elapsed time.Duration) string {
	done := c.Succeeded + c.Failed + c.TimedOut + c.Aborted
	st := replay.Stats{Files: int(c.Total), FilesDone: int(done), Bytes: c.Total, BytesDone: done, Elapsed: elapsed}
	line := replay.Line(st, 24)
	// replay's line counts records, which a map run does not report: keep the bar, the share
	// and the files, then the map run's own counts.
	if i := strings.Index(line, " files"); i >= 0 {
		line = line[:i+len(" files")]
	}
	eta := "ETA -"
	if done > 0 && done < c.Total {
		eta = "ETA " + time.Duration(float64(elapsed)*float64(c.Total-done)/float64(done)).Round(time.Second).String()
	}
	return fmt.Sprintf("%s  %d running  %d failed  %s", line, c.Running, c.Failed+c.TimedOut+c.Aborted, eta)
}
