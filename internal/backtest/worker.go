package backtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/replay"
)

// Limits.
const (
	// MaxFileBytes is the largest log file a worker reads (as stored): CloudTrail writes files
	// of a few MB; a larger object is reported as a malformed item naming it, not buffered.
	MaxFileBytes = 256 << 20
	// MaxOutputBytes bounds one file output the reduce reads (decompressed).
	MaxOutputBytes = 1 << 30
	// MaxBatchItems bounds the items of one batch.
	MaxBatchItems = 10_000
	// OutputVersion is the version of the per-file output format.
	OutputVersion = 1
)

// FilesPrefix is where the per-file outputs of a run live: files/<time in the file's
// name>/<key relative to the trail's root>. S3 lists them in replay's order.
const FilesPrefix = "files/"

// OutputKey is the run key of a file's output. stamp is the file's name time, zero outside the
// layout ("00010101T0000Z" sorts first, as replay reads those files first).
func OutputKey(t time.Time, key string) string {
	return FilesPrefix + t.UTC().Format("20060102T1504Z") + "/" + key
}

// FileOutput is what the worker writes for one file: its candidates in record order and its
// counts. Malformed items are candidates with outcome malformed.
type FileOutput struct {
	Version     int                   `json:"version"`
	File        string                `json:"file"` // the file as replay names it
	Key         string                `json:"key"`  // relative to the trail's root
	Size        int64                 `json:"size"`
	RulesDigest string                `json:"rules_digest"`
	Records     int                   `json:"records"`      // items decoded, malformed ones included
	Settled     int                   `json:"settled"`      // records that end as no_match with nothing to report
	OutOfRange  int                   `json:"out_of_range"` // records the filter left out
	Candidates  []*pipeline.Candidate `json:"candidates"`
}

// Runtime is what the handlers need from their environment.
type Runtime struct {
	// Pipeline returns the pipeline a run evaluates and settles with: its engine, team policy
	// and tuning for the rules the settings name; a new Pipeline at each call, with no sink
	// or state (the reduce sets its own). The worker uses only its stateless side.
	Pipeline func(ctx context.Context, s Settings) (*pipeline.Pipeline, error)
	// Trail opens the trail's root (replay.NewS3 or replay.NewLocal).
	Trail func(ctx context.Context, trail string) (replay.Source, error)
	// Store opens the run's location.
	Store func(ctx context.Context, run string) (Store, error)
}

// Worker is the map phase's handler.
type Worker struct {
	Runtime
	// Files is how many files of a batch are read and evaluated at once; GOMAXPROCS when zero.
	Files int
}

// Handle processes one batch: it writes an output for every file a replay keeps and returns
// the counts. It fails (and Step Functions retries the batch) when an output cannot be
// written; a file that cannot be read is a malformed item in its output, as in replay.
func (w *Worker) Handle(ctx context.Context, b Batch) (BatchResult, error) {
	res := BatchResult{Items: len(b.Items)}
	s := b.BatchInput.Settings
	if len(b.Items) > MaxBatchItems {
		return res, fmt.Errorf("backtest batch of %d items: at most %d", len(b.Items), MaxBatchItems)
	}
	if err := s.Validate(); err != nil {
		return res, err
	}
	f, err := s.Filter()
	if err != nil {
		return res, err
	}
	p, err := w.Pipeline(ctx, s)
	if err != nil {
		return res, err
	}
	p.Clock = replay.FileClock // event times are checked against the file's name, as in replay
	digest := RulesDigest(p)
	if s.RulesDigest != "" && s.RulesDigest != digest {
		return res, fmt.Errorf("backtest batch: the run's rules are %s, this worker loaded %s", s.RulesDigest, digest)
	}
	src, err := w.Trail(ctx, s.Trail)
	if err != nil {
		return res, err
	}
	store, err := w.Store(ctx, s.Run)
	if err != nil {
		return res, err
	}
	root := replay.RootPath(src)
	type job struct {
		o replay.Object
	}
	var jobs []job
	for _, it := range b.Items {
		if it.Bucket != "" && !strings.HasPrefix(s.Trail, "s3://"+it.Bucket+"/") && s.Trail != "s3://"+it.Bucket {
			return res, fmt.Errorf("backtest item %q is in bucket %s, not in the trail %s", it.Key, it.Bucket, s.Trail)
		}
		key, err := relativeKey(s.Trail, it.Key)
		if err != nil {
			if errors.Is(err, errOutsideTrail) {
				// An inventory lists the whole bucket: keys outside the trail's prefix are
				// not the run's (counted, as every key is).
				res.Ignored++
				continue
			}
			return res, err
		}
		sel, t := f.Select(root, key)
		switch sel {
		case replay.Ignored:
			res.Ignored++
		case replay.Pruned:
			res.Pruned++
		default:
			res.Kept++
			res.Bytes += it.Size
			jobs = append(jobs, job{replay.Object{Key: key, Size: it.Size, Time: t}})
		}
	}
	n := w.Files
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan job)
	)
	for range min(n, max(len(jobs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fw := fileWorker{p: p, src: src, f: &f, digest: digest}
			for j := range next {
				out := fw.file(ctx, j.o)
				err := writeOutput(ctx, store, j.o, out)
				mu.Lock()
				res.Records += int64(out.Records)
				res.OutOfRange += int64(out.OutOfRange)
				res.Candidates += int64(len(out.Candidates))
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		next <- j
	}
	close(next)
	wg.Wait()
	if first != nil {
		return res, first
	}
	return res, ctx.Err()
}

// errOutsideTrail: an S3 item's key is not under the trail's prefix.
var errOutsideTrail = errors.New("not under the trail")

// relativeKey is an item's key relative to the trail's root. An S3 item must lie under the
// trail's prefix; a local one must be a clean relative path.
func relativeKey(trail, key string) (string, error) {
	if replay.IsS3URL(trail) {
		_, prefix, err := ParseS3URL(trail)
		if err != nil {
			return "", err
		}
		rel, ok := strings.CutPrefix(key, prefix)
		if !ok || rel == "" {
			return "", fmt.Errorf("backtest item %q: %w %s", key, errOutsideTrail, trail)
		}
		return rel, nil
	}
	if key == "" || path.IsAbs(key) || path.Clean(key) != key || key == ".." || strings.HasPrefix(key, "../") {
		return "", fmt.Errorf("backtest item %q is not a clean path relative to the trail %s", key, trail)
	}
	return key, nil
}

// fileWorker reads and evaluates files, reusing its buffer and decoder.
type fileWorker struct {
	p      *pipeline.Pipeline
	src    replay.Source
	f      *replay.Filter
	digest string
	buf    []byte
	dec    event.Decoder
}

// file is replay's worker.file with pipeline.Prepare in place of delivery.
func (w *fileWorker) file(ctx context.Context, o replay.Object) *FileOutput {
	name := w.src.Name(o)
	out := &FileOutput{Version: OutputVersion, File: name, Key: o.Key, Size: o.Size, RulesDigest: w.digest, Candidates: []*pipeline.Candidate{}}
	unreadable := func(err error) *FileOutput {
		out.Records = 1
		out.Candidates = append(out.Candidates, pipeline.MalformedCandidate(&event.DecodeError{Origin: event.Origin{File: name}, Err: fmt.Errorf("%w: %w", event.ErrRead, err)}))
		return out
	}
	if o.Size > MaxFileBytes {
		return unreadable(fmt.Errorf("%d bytes: larger than the backtest's %d-byte limit per file", o.Size, MaxFileBytes))
	}
	buf, err := w.src.Read(ctx, o, w.buf)
	w.buf = buf
	if err != nil {
		return unreadable(err)
	}
	for rec, err := range w.dec.RecordsBytes(name, buf) {
		out.Records++
		switch {
		case err != nil:
			out.Candidates = append(out.Candidates, pipeline.MalformedCandidate(err))
		case !w.f.KeepRecord(&rec.Header):
			out.OutOfRange++
		case !w.p.Wants(&rec.Header):
			out.Settled++
		default:
			ev := w.p.Evaluate(ctx, rec)
			if ev.Quiet() {
				out.Settled++
				continue
			}
			out.Candidates = append(out.Candidates, w.p.Prepare(ev))
		}
	}
	return out
}

// writeOutput writes a file's output, gzipped, at its key: a retry overwrites it.
func writeOutput(ctx context.Context, store Store, o replay.Object, out *FileOutput) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(out); err != nil {
		return fmt.Errorf("encode the output of %s: %w", out.File, err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return store.Put(ctx, OutputKey(o.Time, o.Key), bytes.NewReader(buf.Bytes()))
}

// RulesDigest names a pipeline's rules: a hash of every loaded rule's metadata, package and
// team (not the file it was read from: a pack read from a directory and from a bundle is the
// same). Workers and the reduce of one run must agree.
func RulesDigest(p *pipeline.Pipeline) string {
	var lines []string
	for _, r := range p.Rules.Rules() {
		b, _ := json.Marshal(struct {
			Meta    any
			Package string
			Team    string
		}{r.Metadata, r.Package, r.Team})
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:32]
}
