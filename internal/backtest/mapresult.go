package backtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// This file reads what a Distributed Map's ResultWriter leaves in S3, to find the batches
// that did not succeed. With a ResultWriter, the Map state's output names a manifest:
//
//	{"DestinationBucket": ..., "MapRunArn": ...,
//	 "ResultFiles": {"FAILED": [{"Key": ..., "Size": ...}], "PENDING": [...], "SUCCEEDED": [...]}}
//
// and each result file is a JSON array of child executions, {"ExecutionArn", "Input" (the
// batch payload as a JSON string), "Status", "Error", "Cause", ...}.

// MaxResultFileBytes bounds one ResultWriter file the reduce reads.
const MaxResultFileBytes = 512 << 20

// FailedBatch is a batch the map did not finish, and why.
type FailedBatch struct {
	Name   string // the child execution, or the local batch number
	Status string // FAILED, PENDING, TIMED_OUT, ABORTED
	Error  string
	Items  []Item // nil when the result did not include the input
}

type resultManifest struct {
	DestinationBucket string `json:"DestinationBucket"`
	MapRunArn         string `json:"MapRunArn"`
	ResultFiles       map[string][]struct {
		Key  string `json:"Key"`
		Size int64  `json:"Size"`
	} `json:"ResultFiles"`
}

type childResult struct {
	ExecutionArn string          `json:"ExecutionArn"`
	Name         string          `json:"Name"`
	Input        json.RawMessage `json:"Input"`
	Status       string          `json:"Status"`
	Error        string          `json:"Error"`
	Cause        string          `json:"Cause"`
}

// ReadFailedBatches reads the ResultWriter manifest the Map state's output names and returns
// every batch listed under a status other than SUCCEEDED. open opens a bucket (the manifest
// may be in another prefix than the run).
func ReadFailedBatches(ctx context.Context, out *MapOutput, open func(bucket string) Store) ([]FailedBatch, error) {
	d := out.ResultWriterDetails
	if d.Bucket == "" || d.Key == "" {
		return nil, fmt.Errorf("map output %s names no ResultWriter manifest", out.MapRunArn)
	}
	store := open(d.Bucket)
	b, err := store.Get(ctx, d.Key, MaxResultFileBytes)
	if err != nil {
		return nil, fmt.Errorf("map run %s: %w", out.MapRunArn, err)
	}
	var m resultManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("map run %s: manifest %s: %w", out.MapRunArn, store.URL(d.Key), err)
	}
	if m.ResultFiles == nil {
		return nil, fmt.Errorf("map run %s: manifest %s lists no result files", out.MapRunArn, store.URL(d.Key))
	}
	var failed []FailedBatch
	for status, files := range m.ResultFiles {
		if status == "SUCCEEDED" {
			continue
		}
		for _, f := range files {
			b, err := store.Get(ctx, f.Key, MaxResultFileBytes)
			if err != nil {
				return nil, fmt.Errorf("map run %s: %w", out.MapRunArn, err)
			}
			children, err := decodeResults(b)
			if err != nil {
				return nil, fmt.Errorf("map run %s: result file %s: %w", out.MapRunArn, store.URL(f.Key), err)
			}
			for _, c := range children {
				fb := FailedBatch{Name: c.ExecutionArn, Status: c.Status, Error: strings.TrimSpace(c.Error + " " + c.Cause)}
				if fb.Name == "" {
					fb.Name = c.Name
				}
				if fb.Status == "" {
					fb.Status = status
				}
				if batch, ok := batchInput(c.Input); ok {
					fb.Items = batch.Items
				}
				failed = append(failed, fb)
			}
		}
	}
	return failed, nil
}

// decodeResults reads a result file: a JSON array, or JSON Lines (OutputType JSONL).
func decodeResults(b []byte) ([]childResult, error) {
	var out []childResult
	if err := json.Unmarshal(b, &out); err == nil {
		return out, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	for dec.More() {
		var c childResult
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// batchInput decodes a child execution's input: the batch payload, as a JSON string or an
// object.
func batchInput(raw json.RawMessage) (Batch, bool) {
	if len(raw) == 0 {
		return Batch{}, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var b Batch
	if json.Unmarshal(raw, &b) != nil || len(b.Items) == 0 {
		return Batch{}, false
	}
	return b, true
}
