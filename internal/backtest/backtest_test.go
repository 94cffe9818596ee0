package backtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/testutil"
)

// s3Trail is the test trail in moto S3 under s3://trail-bucket/org-trail/, and the items a
// ListObjectsV2 ItemReader lists there.
func s3Trail(t *testing.T) (*s3.Client, []Item) {
	t.Helper()
	testutil.StartMoto(t)
	client := s3Client(t)
	dir := t.TempDir()
	writeTestTrail(t, dir)
	uploadTree(t, client, dir, "trail-bucket", "org-trail/")
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("runs")}); err != nil {
		t.Fatal(err)
	}
	var items []Item
	if err := ListS3(client, "s3://trail-bucket/org-trail")(context.Background(), func(it Item) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	return client, items
}

// mapBatches runs the worker over items in batches of n, all batches at once, each from the
// exact bytes Step Functions sends, and returns the batches.
func mapBatches(t *testing.T, w *Worker, items []Item, s Settings, n int) ([]Batch, BatchResult) {
	t.Helper()
	var batches []Batch
	for i := 0; i < len(items); i += n {
		b, err := DecodeBatch(stepFunctionsPayload(t, items[i:min(i+n, len(items))], s))
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total BatchResult
	)
	for _, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := w.Handle(context.Background(), b)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total.Add(res)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return batches, total
}

// TestMapReduceMatchesReplay is the backtest's contract: the worker driven with the batch
// payloads a Distributed Map sends, in several batches at once, then the reduce, give the
// alerts (byte for byte, in the same order), outcome counts and errors that a replay of the
// same S3 trail gives, with and without a filter; the burst of key deletions spread over
// three files and batches raises its one threshold alert.
func TestMapReduceMatchesReplay(t *testing.T) {
	client, items := s3Trail(t)
	rt := testRuntime(t, client)
	src, err := replay.NewS3(client, "s3://trail-bucket/org-trail")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []Settings{
		{},
		{Start: "2024-03-18T09:00:00Z", End: "2024-03-18", Accounts: []string{"111122223333", "444455556666"}, Lateness: "30m"},
		{Regions: []string{"us-east-1"}},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s.Trail, s.Run = "s3://trail-bucket/org-trail", fmt.Sprintf("s3://runs/run-%d", i)
			f, err := s.Filter()
			if err != nil {
				t.Fatal(err)
			}
			want := replayOf(t, src, f)
			w := &Worker{Runtime: rt, Files: 2}
			_, res := mapBatches(t, w, items, s, 3)
			if res.Items != len(items) || res.Kept == 0 || res.Ignored < 2 {
				t.Fatalf("map: %+v of %d items", res, len(items))
			}
			var errs []string
			r := &Reducer{Runtime: rt, OnError: func(err error) { errs = append(errs, err.Error()) }}
			sum, err := r.Reduce(context.Background(), ReduceInput{Reduce: s}, nil)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := rt.Store(context.Background(), s.Run)
			got := runObject(t, st, AlertsKey)
			if got != want.alerts {
				t.Errorf("alerts differ from replay's:\n got %d bytes\nwant %d bytes", len(got), len(want.alerts))
			}
			if sum.Outcome != want.summary {
				t.Errorf("outcome:\n got %s\nwant %s", sum.Outcome, want.summary)
			}
			if !slices.Equal(errs, want.errors) {
				t.Errorf("errors:\n got %q\nwant %q", errs, want.errors)
			}
			if e := runObject(t, st, ErrorsKey); strings.Count(e, "\n") != len(want.errors) {
				t.Errorf("errors.txt holds %d lines, want %d", strings.Count(e, "\n"), len(want.errors))
			}
			if sum.Records == 0 || sum.Alerts == 0 {
				t.Fatalf("nothing compared: %+v", sum)
			}
			if i < 2 {
				if !strings.Contains(got, `"id":"TH-IAM-104"`) || !strings.Contains(got, `"count":3`) {
					t.Errorf("no threshold alert for the burst spread over three files")
				}
				if !sum.Failed || len(want.errors) == 0 || !strings.Contains(strings.Join(errs, "\n"), "broken") {
					t.Errorf("the broken file is not reported: %q", errs)
				}
			}
		})
	}
}

// TestRetriedBatchChangesNothing runs every batch twice (a retry after a timeout) and one
// batch a third time after the reduce: outputs are overwritten, not duplicated, and the
// reduce gives the same result.
func TestRetriedBatchChangesNothing(t *testing.T) {
	client, items := s3Trail(t)
	rt := testRuntime(t, client)
	s := Settings{Trail: "s3://trail-bucket/org-trail", Run: "s3://runs/retry"}
	w := &Worker{Runtime: rt}
	batches, _ := mapBatches(t, w, items, s, 4)
	st, _ := rt.Store(context.Background(), s.Run)
	listing := func() []string {
		var keys []string
		if err := st.List(context.Background(), FilesPrefix, func(k string) error { keys = append(keys, k+"="+runObject(t, st, k)); return nil }); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	before := listing()
	r := &Reducer{Runtime: rt}
	first, err := r.Reduce(context.Background(), ReduceInput{Reduce: s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	alerts := runObject(t, st, AlertsKey)
	mapBatches(t, w, items, s, 4)
	if _, err := w.Handle(context.Background(), batches[len(batches)/2]); err != nil {
		t.Fatal(err)
	}
	if after := listing(); !slices.Equal(before, after) || len(before) == 0 {
		t.Fatalf("retried batches changed the outputs: %d objects before, %d after", len(before), len(after))
	}
	second, err := r.Reduce(context.Background(), ReduceInput{Reduce: s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Outcome != first.Outcome || runObject(t, st, AlertsKey) != alerts {
		t.Fatalf("a reduce after retries differs:\n%s\n%s", first.Outcome, second.Outcome)
	}
}

// TestIncompleteMapRefused: a batch failed (its files have no output). The reduce refuses,
// naming the files, both from the local driver's failed batches and from the ResultWriter
// files Step Functions writes; told to accept, it reduces the rest and lists them.
func TestIncompleteMapRefused(t *testing.T) {
	client, items := s3Trail(t)
	rt := testRuntime(t, client)
	s := Settings{Trail: "s3://trail-bucket/org-trail", Run: "s3://runs/incomplete"}
	w := &Worker{Runtime: rt}
	var keep []Item
	var lost Batch
	for _, it := range items {
		if strings.Contains(it.Key, "burst1") || strings.Contains(it.Key, "CloudTrail-Digest") {
			lost.Items = append(lost.Items, it)
			continue
		}
		keep = append(keep, it)
	}
	lost.BatchInput.Settings = s
	mapBatches(t, w, keep, s, 5)
	r := &Reducer{Runtime: rt, Results: func(_ context.Context, bucket string) (Store, error) {
		return &S3Store{Client: client, Bucket: bucket}, nil
	}}
	missingName := "s3://trail-bucket/" + lost.Items[0].Key
	if strings.Contains(missingName, "Digest") {
		missingName = "s3://trail-bucket/" + lost.Items[1].Key
	}
	check := func(err error) {
		t.Helper()
		var inc *IncompleteError
		if !errors.As(err, &inc) || inc.Count != 1 || !strings.Contains(err.Error(), missingName) || strings.Contains(err.Error(), "Digest") {
			t.Fatalf("want the one missing log file %s named, got %v", missingName, err)
		}
	}
	failed := []FailedBatch{{Name: "batch 7", Status: "FAILED", Error: "Lambda.Unknown", Items: lost.Items}}
	_, err := r.Reduce(context.Background(), ReduceInput{Reduce: s}, failed)
	check(err)

	// The same failure as Step Functions' ResultWriter records it.
	ctx := context.Background()
	input := string(stepFunctionsPayload(t, lost.Items, s))
	results := fmt.Sprintf(`[{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:backtest/Map:7","Input":%q,"InputDetails":{"Included":true},"Name":"7","Status":"FAILED","Error":"Lambda.Unknown","Cause":"timed out","StartDate":"2024-04-01T00:00:00Z","StopDate":"2024-04-01T00:15:00Z"}]`, input)
	manifest := `{"DestinationBucket":"runs","MapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:backtest/Map:abc","ResultFiles":{"FAILED":[{"Key":"incomplete/map/abc/FAILED_0.json","Size":1}],"PENDING":[],"SUCCEEDED":[{"Key":"incomplete/map/abc/SUCCEEDED_0.json","Size":1}]}}`
	for k, v := range map[string]string{"incomplete/map/abc/manifest.json": manifest, "incomplete/map/abc/FAILED_0.json": results, "incomplete/map/abc/SUCCEEDED_0.json": "[]"} {
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("runs"), Key: aws.String(k), Body: strings.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	out := &MapOutput{MapRunArn: "arn:aws:states:us-east-1:123456789012:mapRun:backtest/Map:abc"}
	out.ResultWriterDetails.Bucket, out.ResultWriterDetails.Key = "runs", "incomplete/map/abc/manifest.json"
	_, err = r.Handle(ctx, ReduceInput{Reduce: s, Map: out})
	check(err)

	sum, err := r.Handle(ctx, ReduceInput{Reduce: s, Map: out, AcceptFailures: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sum.LeftOut, []string{missingName}) || sum.Records == 0 {
		t.Fatalf("accepted reduce: left out %q, %d records", sum.LeftOut, sum.Records)
	}
	st, _ := rt.Store(ctx, s.Run)
	if m := runObject(t, st, MissingKey); m != missingName+"\n" {
		t.Fatalf("missing.txt: %q", m)
	}
	// Once the batch is rerun, nothing is missing any more.
	if _, err := w.Handle(ctx, lost); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Handle(ctx, ReduceInput{Reduce: s, Map: out}); err != nil {
		t.Fatalf("after the batch was rerun: %v", err)
	}
}

// TestLocalRunMatchesReplay runs RunLocal over a local directory and over S3 (worker pool,
// small batches, ItemReader-like listing) and compares with replay.
func TestLocalRunMatchesReplay(t *testing.T) {
	dir := t.TempDir()
	writeTestTrail(t, dir)
	rt := testRuntime(t, nil)
	src, err := replay.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{Trail: dir, Run: t.TempDir(), Start: "2024-03-18T09:00:00Z"}
	f, _ := s.Filter()
	want := replayOf(t, src, f)
	var last LocalProgress
	sum, res, err := RunLocal(context.Background(), &Worker{Runtime: rt, Files: 1}, &Reducer{Runtime: rt}, s, LocalOptions{
		Workers: 3, BatchItems: 2, Items: ListLocal(src), Progress: func(p LocalProgress) { last = p },
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Outcome != want.summary || runObject(t, DirStore{Dir: s.Run}, AlertsKey) != want.alerts {
		t.Fatalf("local run:\n got %s\nwant %s", sum.Outcome, want.summary)
	}
	if last.Done != last.Batches || last.Batches < 10 || last.Failed != 0 || res.Kept == 0 {
		t.Fatalf("progress %+v, result %+v", last, res)
	}
}

// TestWorkerRefusesHostileBatches: payloads that are not batches, keys outside the trail,
// paths that climb out of a local trail, another bucket's items, other rules.
func TestWorkerRefusesHostileBatches(t *testing.T) {
	rt := testRuntime(t, nil)
	w := &Worker{Runtime: rt}
	dir := t.TempDir()
	s := Settings{Trail: "s3://trail-bucket/org-trail", Run: dir}
	for name, payload := range map[string]string{
		"no items":      `{"Items":[],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p"}}}`,
		"unknown field": `{"Items":[{"Key":"a"}],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p"}},"Extra":1}`,
		"item field":    `{"Items":[{"Key":"a","Owner":"x"}],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p"}}}`,
		"no key":        `{"Items":[{"Size":1}],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p"}}}`,
		"negative size": `{"Items":[{"Key":"a","Size":-1}],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p"}}}`,
		"tuning":        `{"Items":[{"Key":"a"}],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p","tuning":"s3://t/tuning.yaml"}}}`,
		"bad range":     `{"Items":[{"Key":"a"}],"BatchInput":{"Settings":{"trail":"s3://t/p","run":"s3://r/p","start":"2024-03-19","end":"2024-03-18"}}}`,
	} {
		if _, err := DecodeBatch([]byte(payload)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	ctx := context.Background()
	for name, b := range map[string]Batch{
		"other bucket": {Items: []Item{{Key: "org-trail/x.json.gz", Bucket: "evil"}}, BatchInput: BatchInput{s}},
		"climbs out":   {Items: []Item{{Key: "../../etc/passwd"}}, BatchInput: BatchInput{Settings{Trail: dir, Run: t.TempDir()}}},
		"other rules":  {Items: []Item{{Key: "org-trail/x.json.gz"}}, BatchInput: BatchInput{Settings{Trail: s.Trail, Run: dir, RulesDigest: "sha256:0"}}},
	} {
		if _, err := w.Handle(ctx, b); err == nil {
			t.Errorf("%s: handled", name)
		}
	}
	// An inventory lists the whole bucket: keys outside the trail are counted and left.
	if res, err := w.Handle(ctx, Batch{Items: []Item{{Key: "other/AWSLogs/x.json.gz"}}, BatchInput: BatchInput{s}}); err != nil || res.Ignored != 1 || res.Kept != 0 {
		t.Errorf("outside the prefix: %+v, %v", res, err)
	}
	// Step Functions' inventory items carry numbers as strings, keys URL-encoded.
	b, err := DecodeBatch([]byte(`{"Items":[{"Bucket":"trail-bucket","Key":"org-trail/a%20b.json","Size":"12","LastModifiedDate":"2024-03-18T00:00:00.000Z"}],"BatchInput":{"Settings":{"trail":"s3://trail-bucket/org-trail","run":"s3://r/p"}}}`))
	if err != nil || b.Items[0].Size != 12 || b.Items[0].Key != "org-trail/a b.json" {
		t.Fatalf("inventory item: %+v, %v", b.Items, err)
	}
	_ = time.Now
}
