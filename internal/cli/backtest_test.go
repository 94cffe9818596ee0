package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/trailhound/trailhound/internal/backtest"
	"github.com/trailhound/trailhound/internal/function"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/testutil"
)

// orderedAlerts returns JSON Lines alerts without created_at (wall time), in output order.
func orderedAlerts(t *testing.T, stdout string) []string {
	t.Helper()
	alertsOf(t, stdout) // schema check
	var out []string
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "created_at")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

// TestBacktestLocalMatchesReplay: `detector backtest --local` prints the alerts (same order),
// the outcome summary and the exit status `detector replay` prints for the same trail and
// filter, over a directory and over S3 (moto).
func TestBacktestLocalMatchesReplay(t *testing.T) {
	dir, files := replayTrail(t)
	tuningFile := filepath.Join(t.TempDir(), "tuning.yaml")
	if err := os.WriteFile(tuningFile, []byte(rotationTuning), 0o600); err != nil {
		t.Fatal(err)
	}
	filters := [][]string{
		{"--tuning", tuningFile},
		{"--start", "2024-03-19", "--end", "2024-03-19", "--account", "111122223333", "--fail-on", "LOW"},
	}
	compare := func(t *testing.T, root string, f []string) {
		rep := runCLI(t, "", append([]string{"replay", "--format", "json", root}, f...)...)
		bt := runCLI(t, "", append([]string{"backtest", "--format", "json", "--workers", "3", "--batch-items", "2", "--local", root}, f...)...)
		if bt.code != rep.code {
			t.Fatalf("backtest exit %d, replay exit %d:\n%s\n%s", bt.code, rep.code, bt.stderr, rep.stderr)
		}
		got, want := orderedAlerts(t, bt.stdout), orderedAlerts(t, rep.stdout)
		if !slices.Equal(got, want) || len(want) < 3 {
			t.Fatalf("backtest printed %d alerts, replay %d, or different ones", len(got), len(want))
		}
		if g, w := outcomeLine(t, bt.stderr, "backtest"), outcomeLine(t, rep.stderr, "replay"); g != w {
			t.Fatalf("outcomes:\nbacktest %s\n  replay %s", g, w)
		}
	}
	for i, f := range filters {
		t.Run(fmt.Sprint("dir", i), func(t *testing.T) { compare(t, dir, f) })
	}
	testutil.StartMoto(t)
	ctx := context.Background()
	client := motoS3(t)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String("ct/" + f.Key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("s3", func(t *testing.T) { compare(t, "s3://org-trail/ct/", filters[1]) })
}

func motoS3(t *testing.T) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func TestBacktestUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"nothing":            {"backtest"},
		"both":               {"backtest", "--local", ".", "s3://b/p", "--state-machine", "arn:aws:states:us-east-1:123456789012:stateMachine:x"},
		"no state machine":   {"backtest", "s3://b/p"},
		"local run to s3":    {"backtest", "s3://b/p", "--state-machine", "arn:x", "--run", "/tmp/x"},
		"bad range":          {"backtest", "--local", ".", "--start", "2024-03-20", "--end", "2024-03-19"},
		"bad account":        {"backtest", "--local", ".", "--account", "12"},
		"bad format":         {"backtest", "--local", ".", "--format", "xml"},
		"zero workers":       {"backtest", "--local", ".", "--workers", "0"},
		"bad inventory":      {"backtest", "s3://b/p", "--state-machine", "arn:x", "--run", "s3://r/p", "--inventory", "s3://b/not-a-manifest"},
		"trail not s3":       {"backtest", "/tmp", "--state-machine", "arn:x", "--run", "s3://r/p"},
		"missing rules dir":  {"backtest", "--local", ".", "--rules", "/nonexistent/teams"},
		"unknown fail-on":    {"backtest", "--local", ".", "--fail-on", "SEVERE"},
		"negative lateness":  {"backtest", "--local", ".", "--lateness", "-1h"},
		"missing local path": {"backtest", "--local", "/nonexistent/trail"},
	} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, "", args...)
			if r.code != ExitUsage {
				t.Fatalf("exit %d, want %d:\n%s", r.code, ExitUsage, r.stderr)
			}
		})
	}
}

// TestBacktestStateMachineWithMoto drives `detector backtest --state-machine` against moto,
// which stores the state machine (the definition of deploy/backtest.yaml) and its executions
// but does not run a Distributed Map. The test plays Step Functions: it reads the execution
// input the CLI started, sends the backtest function (Lambda mode, BACKTEST_BUCKET) the batch
// payloads an ItemBatcher sends and the reduce payload with the ResultWriter manifest, then
// stops the execution (moto's executions never finish by themselves). The CLI reports the
// execution's end; the run's summary is replay's; the function refuses runs outside its bucket.
func TestBacktestStateMachineWithMoto(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	dir, files := replayTrail(t)
	client := motoS3(t)
	for _, b := range []string{"org-trail", "runs"} {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String("ct/" + f.Key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sf := sfn.NewFromConfig(cfg)
	created, err := sf.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("th-backtest"), Definition: aws.String(testutil.BacktestDefinitions(t)["list"]),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/th-backtest-states"),
	})
	if err != nil {
		t.Fatal(err)
	}
	machine := aws.ToString(created.StateMachineArn)

	type result struct{ r cliResult }
	done := make(chan result, 1)
	go func() {
		var out, errw bytes.Buffer
		code := Run(ctx, []string{"backtest", "--format", "json", "--poll", "20ms", "--state-machine", machine, "--run", "s3://runs/r1", "--account", "111122223333", "s3://org-trail/ct"}, strings.NewReader(""), &out, &errw)
		done <- result{cliResult{code, out.String(), errw.String()}}
	}()
	var execARN string
	for deadline := time.Now().Add(5 * time.Minute); execARN == ""; { // generous: a busy machine is not a failure
		list, err := sf.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Executions) > 0 {
			execARN = aws.ToString(list.Executions[0].ExecutionArn)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the CLI started no execution")
		}
		time.Sleep(50 * time.Millisecond)
	}
	desc, err := sf.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
	if err != nil {
		t.Fatal(err)
	}
	var input backtest.ExecutionInput
	dec := json.NewDecoder(strings.NewReader(aws.ToString(desc.Input)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&input); err != nil {
		t.Fatalf("execution input: %v\n%s", err, aws.ToString(desc.Input))
	}
	if input.TrailBucket != "org-trail" || input.TrailPrefix != "ct/" || input.ResultsPrefix != "r1/map" || input.Settings.RulesDigest == "" ||
		!slices.Equal(input.Settings.Accounts, []string{"111122223333"}) || input.Settings.Run != "s3://runs/r1" {
		t.Fatalf("execution input: %+v", input)
	}

	// Step Functions' part: the batches, then the reduce, through the function's Lambda handler.
	t.Setenv(settings.BacktestBucket.Name, "runs")
	h, err := function.NewBacktestHandler(ctx, os.Getenv, obs.NewLogger(&bytes.Buffer{}, 0))
	if err != nil {
		t.Fatal(err)
	}
	var items []backtest.Item
	if err := backtest.ListS3(client, "s3://"+input.TrailBucket+"/"+input.TrailPrefix)(ctx, func(it backtest.Item) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(items); i += 3 {
		payload, _ := json.Marshal(map[string]any{"Items": items[i:min(i+3, len(items))], "BatchInput": map[string]any{"Settings": input.Settings}})
		if _, err := h.Handle(ctx, payload); err != nil {
			t.Fatal(err)
		}
	}
	manifestKey := input.ResultsPrefix + "/0b1c/manifest.json"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("runs"), Key: aws.String(manifestKey),
		Body: strings.NewReader(`{"DestinationBucket":"runs","MapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:th-backtest/Map:0b1c","ResultFiles":{"FAILED":[],"PENDING":[],"SUCCEEDED":[]}}`)}); err != nil {
		t.Fatal(err)
	}
	reduce, _ := json.Marshal(map[string]any{"Reduce": input.Settings, "AcceptFailures": input.AcceptFailures, "Deliver": input.Deliver,
		"Map": map[string]any{"MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:th-backtest/Map:0b1c", "ResultWriterDetails": map[string]string{"Bucket": "runs", "Key": manifestKey}}})
	resp, err := h.Handle(ctx, reduce)
	if err != nil {
		t.Fatal(err)
	}
	sum := resp.(*backtest.Summary)
	rep := runCLI(t, "", "replay", "--format", "json", "--account", "111122223333", "s3://org-trail/ct")
	if want := outcomeLine(t, rep.stderr, "replay"); sum.Outcome != want {
		t.Fatalf("reduce:\n got %s\nwant %s", sum.Outcome, want)
	}
	// The function works in its own bucket only.
	for _, bad := range []string{
		strings.Replace(string(reduce), `"run":"s3://runs/r1"`, `"run":"s3://elsewhere/r1"`, 1),
		`{"Items":[{"Key":"ct/x.json"}],"BatchInput":{"Settings":{"trail":"s3://org-trail/ct","run":"s3://other/r"}}}`,
		`{"Records":[]}`,
	} {
		if _, err := h.Handle(ctx, json.RawMessage(bad)); err == nil {
			t.Errorf("handled %s", bad)
		}
	}

	if _, err := sf.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(execARN)}); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the CLI did not notice the execution ended")
	}
	if r.r.code != ExitPartial || !strings.Contains(r.r.stderr, "ABORTED") || !strings.Contains(r.r.stderr, "started "+execARN) {
		t.Fatalf("CLI after the execution was stopped: exit %d\n%s", r.r.code, r.r.stderr)
	}

	// The same run reduced by the CLI (a run too large for the reduce's 15 minutes in Lambda):
	// replay's alerts, summary and exit status.
	red := runCLI(t, "", "backtest", "--format", "json", "--reduce", "s3://runs/r1")
	if red.code != rep.code || !slices.Equal(orderedAlerts(t, red.stdout), orderedAlerts(t, rep.stdout)) ||
		outcomeLine(t, red.stderr, "backtest") != outcomeLine(t, rep.stderr, "replay") {
		t.Fatalf("--reduce: exit %d (replay %d)\n%s", red.code, rep.code, red.stderr)
	}
	if r := runCLI(t, "", "backtest", "--reduce", "s3://runs/never-started"); r.code != ExitUsage || !strings.Contains(r.stderr, "input.json") {
		t.Fatalf("--reduce of no run: exit %d\n%s", r.code, r.stderr)
	}
}
