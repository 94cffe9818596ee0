package backtest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/replay"
)

// LocalOptions configure RunLocal: the Distributed Map's settings, in process.
type LocalOptions struct {
	Workers    int  // batches processed at once (MaxConcurrency); 1 when zero
	BatchItems int  // items per batch at most (MaxItemsPerBatch); 8 when zero
	BatchBytes int  // JSON bytes of a batch's items at most (MaxInputBytesPerBatch); 256 KiB when zero
	Attempts   int  // tries per batch (the worker task's Retry, plus one); 3 when zero
	Accept     bool // reduce even if batches failed, listing what was left out
	Progress   func(LocalProgress)
	// Items lists the trail as the ItemReader would (ListS3, ListLocal).
	Items func(ctx context.Context, fn func(Item) error) error
}

// LocalProgress is a local run in progress.
type LocalProgress struct {
	Listed     int  // items listed so far
	Batches    int  // batches formed so far
	Done       int  // batches finished (succeeded or failed)
	Failed     int  // batches that failed every attempt
	Listing    bool // still listing
	Result     BatchResult
	Started    time.Time
	MapElapsed time.Duration
}

// RunLocal runs the map (w, over the batches of opts.Items) and the reduce (r) in process.
func RunLocal(ctx context.Context, w *Worker, r *Reducer, s Settings, opts LocalOptions) (*Summary, BatchResult, error) {
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.BatchItems <= 0 {
		opts.BatchItems = 8
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 256 << 10
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if err := s.Validate(); err != nil {
		return nil, BatchResult{}, err
	}
	var (
		mu     sync.Mutex
		prog   = LocalProgress{Listing: true, Started: time.Now()}
		failed []FailedBatch
		wg     sync.WaitGroup
		jobs   = make(chan Batch)
		report = func() {
			prog.MapElapsed = time.Since(prog.Started)
			if opts.Progress != nil {
				opts.Progress(prog)
			}
		}
	)
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				var res BatchResult
				var err error
				for range opts.Attempts {
					if res, err = w.Handle(ctx, b); err == nil || ctx.Err() != nil {
						break
					}
				}
				mu.Lock()
				prog.Done++
				if err != nil {
					prog.Failed++
					failed = append(failed, FailedBatch{Name: fmt.Sprintf("batch %d", prog.Done), Status: "FAILED", Error: err.Error(), Items: b.Items})
				} else {
					prog.Result.Add(res)
				}
				report()
				mu.Unlock()
			}
		}()
	}
	var cur Batch
	size := 0
	flush := func() {
		if len(cur.Items) == 0 {
			return
		}
		mu.Lock()
		prog.Batches++
		mu.Unlock()
		jobs <- cur
		cur, size = Batch{}, 0
	}
	err := opts.Items(ctx, func(it Item) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b, _ := json.Marshal(it)
		if len(cur.Items) > 0 && (len(cur.Items) >= opts.BatchItems || size+len(b)+1 > opts.BatchBytes) {
			flush()
		}
		cur.Items = append(cur.Items, it)
		cur.BatchInput.Settings = s
		size += len(b) + 1
		mu.Lock()
		prog.Listed++
		mu.Unlock()
		return nil
	})
	if err == nil {
		flush()
	}
	close(jobs)
	wg.Wait()
	mu.Lock()
	prog.Listing = false
	report()
	result := prog.Result
	mu.Unlock()
	if err != nil {
		return nil, result, fmt.Errorf("list %s: %w", s.Trail, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, result, err
	}
	sum, err := r.Reduce(ctx, ReduceInput{Reduce: s, AcceptFailures: opts.Accept}, failed)
	return sum, result, err
}

// ListS3 lists the trail's prefix as a ListObjectsV2 ItemReader does: every object, full
// keys, in key order.
func ListS3(client S3API, trail string) func(ctx context.Context, fn func(Item) error) error {
	return func(ctx context.Context, fn func(Item) error) error {
		bucket, prefix, err := ParseS3URL(trail)
		if err != nil {
			return err
		}
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, o := range out.Contents {
				it := Item{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Etag: aws.ToString(o.ETag), StorageClass: string(o.StorageClass)}
				if o.LastModified != nil {
					it.LastModified = o.LastModified.Unix()
				}
				if err := fn(it); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// ListLocal lists a local trail: every file below the root (hidden ones left out), keys
// relative to it.
func ListLocal(src replay.Source) func(ctx context.Context, fn func(Item) error) error {
	return func(ctx context.Context, fn func(Item) error) error {
		return replay.List(ctx, src, func(o replay.Object) error { return fn(Item{Key: o.Key, Size: o.Size}) })
	}
}
