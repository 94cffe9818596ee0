package backtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/replay"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/internal/team"
)

// Run objects the reduce writes.
const (
	AlertsKey  = "alerts.jsonl" // final alerts and updates, JSON Lines of Alert v1, in delivery order
	ErrorsKey  = "errors.txt"   // every error and warning reported, one per line, in order
	SummaryKey = "summary.json" // Summary
	MissingKey = "missing.txt"  // files the map left without output, one per line
)

// maxNamed is how many missing files an error message names (all are in missing.txt).
const maxNamed = 20

// Reducer is the reduce phase's handler.
type Reducer struct {
	Runtime
	// Results opens a bucket that holds a Distributed Map's ResultWriter files.
	Results func(ctx context.Context, bucket string) (Store, error)
	// Destinations receive the alerts too when the input asks to deliver them.
	Destinations pipeline.Sink
	// OnError, if set, is told every error and warning as it is reported.
	OnError func(error)
	// OnSuppress, if set, is told every alert a team suppression kept from delivery.
	OnSuppress func(event.Origin, team.Suppressed)
	// Prefetch is how many file outputs are read ahead of the one being settled
	// (DefaultPrefetch when zero).
	Prefetch int
}

// IncompleteError is a map that left files without output.
type IncompleteError struct {
	Missing []string // the files (the first maxMissing)
	Count   int
	Batches int
}

func (e *IncompleteError) Error() string {
	named := e.Missing
	if len(named) > maxNamed {
		named = named[:maxNamed]
	}
	more := ""
	if e.Count > len(named) {
		more = fmt.Sprintf(" and %d more (see %s)", e.Count-len(named), MissingKey)
	}
	return fmt.Sprintf("the map is incomplete: %d batch(es) did not succeed, leaving %d file(s) without output: %s%s; reduce with failures accepted to settle the rest",
		e.Batches, e.Count, strings.Join(named, ", "), more)
}

// maxMissing bounds the missing files kept in memory (the count goes on).
const maxMissing = 100_000

// Handle reduces a run from the state machine: the failed batches are read from the
// ResultWriter manifest the Map state's output names.
func (r *Reducer) Handle(ctx context.Context, in ReduceInput) (*Summary, error) {
	var failed []FailedBatch
	if in.Map != nil {
		var err error
		failed, err = ReadFailedBatches(ctx, in.Map, func(bucket string) Store {
			st, err := r.Results(ctx, bucket)
			if err != nil {
				return errStore{err}
			}
			return st
		})
		if err != nil {
			return nil, err
		}
	}
	return r.Reduce(ctx, in, failed)
}

// Reduce settles every file output of the run in replay order and writes the final alerts,
// errors and summary under the run. It refuses when failed batches left files without output,
// unless in.AcceptFailures.
func (r *Reducer) Reduce(ctx context.Context, in ReduceInput, failed []FailedBatch) (*Summary, error) {
	s := in.Reduce
	if err := s.Validate(); err != nil {
		return nil, err
	}
	f, err := s.Filter()
	if err != nil {
		return nil, err
	}
	store, err := r.Store(ctx, s.Run)
	if err != nil {
		return nil, err
	}
	missing, err := r.missing(ctx, s, &f, store, failed)
	if err != nil {
		return nil, err
	}
	if missing.Count > 0 {
		if err := store.Put(ctx, MissingKey, strings.NewReader(strings.Join(missing.Missing, "\n")+"\n")); err != nil {
			return nil, err
		}
		if !in.AcceptFailures {
			return nil, missing
		}
	}
	base, err := r.Pipeline(ctx, s)
	if err != nil {
		return nil, err
	}
	digest := RulesDigest(base)
	if s.RulesDigest != "" && s.RulesDigest != digest {
		return nil, fmt.Errorf("backtest reduce: the run's rules are %s, the reduce loaded %s", s.RulesDigest, digest)
	}
	alertsFile, err := os.CreateTemp("", "backtest-alerts-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(alertsFile.Name())
	defer alertsFile.Close()
	errorsFile, err := os.CreateTemp("", "backtest-errors-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(errorsFile.Name())
	defer errorsFile.Close()

	out, _ := sink.NewWriter(alertsFile, sink.JSON)
	var dest pipeline.Sink = out
	if in.Deliver {
		if r.Destinations == nil {
			return nil, errors.New("backtest reduce: asked to deliver, but no destination is configured")
		}
		dest = fanout{out, r.Destinations}
	}
	windows := state.NewMemoryWindows()
	// Files are read up to the lateness out of event order, as in replay.
	windows.Disorder = max(state.DefaultDisorder, f.Lateness+5*time.Minute)
	sum := &Summary{Run: s.Run, LeftOut: missing.Missing, Delivered: in.Deliver}
	// A pipeline of its own (Runtime.Pipeline returns a fresh one), so everything the runtime
	// sets on it (team policy, tuning, limits) is the worker's.
	p, err := r.Pipeline(ctx, s)
	if err != nil {
		return nil, err
	}
	p.Sink, p.Idempotency, p.Windows, p.OnSuppress = dest, state.NewMemory(), windows, r.OnSuppress
	p.Clock = replay.FileClock // windows trust the file's name, not the event time, as in replay
	p.OnError = func(err error) {
		sum.Errors++
		fmt.Fprintln(errorsFile, strings.ReplaceAll(err.Error(), "\n", " "))
		if r.OnError != nil {
			r.OnError(err)
		}
	}
	err = r.outputs(ctx, store, digest, func(key string, fo *FileOutput, err error) {
		if err != nil {
			p.Settle(ctx, pipeline.MalformedCandidate(&event.DecodeError{Origin: event.Origin{File: store.URL(key)}, Err: err}))
			return
		}
		for _, c := range fo.Candidates {
			p.Settle(ctx, c)
		}
		for range fo.Settled {
			p.Counts.Add(pipeline.NoMatch)
		}
		sum.Files++
		sum.FileRecords += int64(fo.Records)
		sum.OutOfRange += int64(fo.OutOfRange)
	})
	if err != nil {
		return nil, fmt.Errorf("backtest reduce: %w", err)
	}
	c := &p.Counts
	sum.Outcome, sum.Records, sum.Alerts, sum.Updates, sum.Failed = c.Summary(), c.Records(), c.Alerts(), c.Updates(), c.Failed()
	sum.Outcomes = map[string]int64{}
	for _, o := range pipeline.Outcomes() {
		sum.Outcomes[o.String()] = c.Get(o)
	}
	if sev := c.MaxSeverity(); sev.Valid() {
		sum.MaxSeverity = sev.String()
	}
	sum.AlertsURL, sum.ErrorsURL, sum.SummaryURL = store.URL(AlertsKey), store.URL(ErrorsKey), store.URL(SummaryKey)
	for key, f := range map[string]*os.File{AlertsKey: alertsFile, ErrorsKey: errorsFile} {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		if err := store.Put(ctx, key, f); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, SummaryKey, bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return sum, nil
}

// DefaultPrefetch is how many file outputs the reduce reads ahead of the one it settles.
const DefaultPrefetch = 32

// outputs calls fn for every file output of the run, in listing (replay) order, reading up to
// Prefetch outputs ahead on as many goroutines: memory holds at most that many outputs.
func (r *Reducer) outputs(ctx context.Context, store Store, digest string, fn func(key string, fo *FileOutput, err error)) error {
	n := r.Prefetch
	if n <= 0 {
		n = DefaultPrefetch
	}
	type fetched struct {
		fo  *FileOutput
		err error
	}
	type job struct {
		key string
		out chan fetched
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan job)
	order := make(chan job, n)
	var listErr error
	go func() {
		defer close(order)
		defer close(jobs)
		listErr = store.List(ctx, FilesPrefix, func(key string) error {
			j := job{key, make(chan fetched, 1)}
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		})
	}()
	for range n {
		go func() {
			for j := range jobs {
				fo, err := readOutput(ctx, store, j.key, digest)
				j.out <- fetched{fo, err}
			}
		}()
	}
	for j := range order {
		f := <-j.out
		if ctx.Err() != nil {
			break
		}
		fn(j.key, f.fo, f.err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return listErr
}

// missing lists the files of failed batches that a replay keeps and that have no output.
func (r *Reducer) missing(ctx context.Context, s Settings, f *replay.Filter, store Store, failed []FailedBatch) (*IncompleteError, error) {
	e := &IncompleteError{}
	if len(failed) == 0 {
		return e, nil
	}
	src, err := r.Trail(ctx, s.Trail)
	if err != nil {
		return nil, err
	}
	root := replay.RootPath(src)
	note := func(name string) {
		e.Count++
		if len(e.Missing) < maxMissing {
			e.Missing = append(e.Missing, name)
		}
	}
	for _, b := range failed {
		before := e.Count
		if b.Items == nil {
			note(fmt.Sprintf("every file of batch %s (%s; its result does not include its input)", b.Name, b.Status))
		}
		for _, it := range b.Items {
			key, err := relativeKey(s.Trail, it.Key)
			if err != nil {
				note(it.Key)
				continue
			}
			sel, t := f.Select(root, key)
			if sel != replay.Kept {
				continue
			}
			ok, err := store.Exists(ctx, OutputKey(t, key))
			if err != nil {
				return nil, err
			}
			if !ok {
				note(src.Name(replay.Object{Key: key}))
			}
		}
		if e.Count > before {
			e.Batches++
		}
	}
	return e, nil
}

// readOutput reads and checks one file output.
func readOutput(ctx context.Context, store Store, key, digest string) (*FileOutput, error) {
	b, err := store.Get(ctx, key, MaxOutputBytes)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("file output: %w", err)
	}
	dec := json.NewDecoder(io.LimitReader(zr, MaxOutputBytes))
	dec.DisallowUnknownFields()
	var fo FileOutput
	if err := dec.Decode(&fo); err != nil {
		return nil, fmt.Errorf("file output: %w", err)
	}
	switch {
	case fo.Version != OutputVersion:
		return nil, fmt.Errorf("file output version %d, want %d", fo.Version, OutputVersion)
	case fo.RulesDigest != digest:
		return nil, fmt.Errorf("file output evaluated with rules %s, the reduce loaded %s", fo.RulesDigest, digest)
	case !strings.HasSuffix(key, "/"+fo.Key):
		return nil, fmt.Errorf("file output for %q stored at %q", fo.Key, key)
	case fo.Records < 0 || fo.Settled < 0 || fo.OutOfRange < 0 || fo.Settled+fo.OutOfRange+len(fo.Candidates) != fo.Records:
		return nil, fmt.Errorf("file output counts do not add up: %d records, %d settled, %d out of range, %d candidates", fo.Records, fo.Settled, fo.OutOfRange, len(fo.Candidates))
	}
	for i, c := range fo.Candidates {
		if c == nil {
			return nil, fmt.Errorf("file output: candidate %d is null", i)
		}
	}
	return &fo, nil
}

// fanout sends to the run's alert file, then to the destinations.
type fanout []pipeline.Sink

func (f fanout) Send(ctx context.Context, alerts []*alert.Alert) error {
	for _, s := range f {
		if err := s.Send(ctx, alerts); err != nil {
			return err
		}
	}
	return nil
}

// errStore is a store that could not be opened.
type errStore struct{ err error }

func (e errStore) Put(context.Context, string, io.ReadSeeker) error       { return e.err }
func (e errStore) Get(context.Context, string, int64) ([]byte, error)     { return nil, e.err }
func (e errStore) Exists(context.Context, string) (bool, error)           { return false, e.err }
func (e errStore) List(context.Context, string, func(string) error) error { return e.err }
func (e errStore) URL(key string) string                                  { return key }
