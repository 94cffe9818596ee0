package replay

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

// Source is where a replay reads files from: a local tree (Local) or an S3 prefix (S3).
type Source interface {
	// Name locates an object in messages and in the records' Origin (a path, an s3:// URL).
	Name(o Object) string
	// Read returns the object's bytes, reusing buf when it is large enough.
	Read(ctx context.Context, o Object, buf []byte) ([]byte, error)
	lister
}

// Handler is what a replay runs records through; T is what a record's evaluation leaves for
// delivery (PipelineHandler: *pipeline.Evaluated).
type Handler[T any] interface {
	// Evaluate is called from the decoding workers, concurrently, for each record the filter
	// keeps; rec.Raw is valid only during the call. It reports false when the record needs
	// nothing more than to be counted by Settled, else returns what Deliver needs.
	Evaluate(ctx context.Context, rec event.Record) (T, bool)
	// Settled counts n records of a file Evaluate reported false for. It is called like
	// Deliver, once per file, so workers share no counter.
	Settled(n int)
	// Deliver is called from one goroutine, in input order (files in replay order, records in
	// file order), whatever the number of workers.
	Deliver(ctx context.Context, v T)
	// Malformed is called like Deliver for an item that could not be decoded or a file that
	// could not be read.
	Malformed(err error)
}

// eventWanter is implemented by a Handler that can tell from a record's event alone that
// Evaluate would settle it (PipelineHandler): when the filter keeps every record, the
// decoder asks it before reading the rest of the header, and a record it declines is
// settled without Evaluate.
type eventWanter interface {
	// WantsEvent reports whether Evaluate may do more than settle a record of this event. Its
	// answer depends on the event alone and does not change during a run.
	WantsEvent(eventSource, eventName string) bool
}

// wantCacheSize is the number of events a worker remembers the handler's answer for (a power
// of two): a trail's records spread over a few hundred events, most records over a few dozen.
const wantCacheSize = 256

// wantCache remembers a handler's WantsEvent answers, direct-mapped by event: asking the
// handler (the rule set's selection and its packs not loaded, two map lookups each) is the
// only work a replay does on a record no rule selects, besides decoding it.
type wantCache struct {
	ask   func(eventSource, eventName string) bool
	slots [wantCacheSize]struct {
		source, name string
		want, set    bool
	}
}

func (c *wantCache) get(source, name string) bool {
	h := len(source)*31 + len(name)*7
	if n := len(name); n > 0 {
		h += int(name[0]) + int(name[n-1])*3 + int(name[n/2])*5
	}
	sl := &c.slots[h&(wantCacheSize-1)]
	// The decoder interns eventSource and eventName, so a hit compares equal pointers.
	if sl.set && sl.name == name && sl.source == source {
		return sl.want
	}
	sl.source, sl.name, sl.want, sl.set = source, name, c.ask(source, name), true
	return sl.want
}

// Options configure Run.
type Options struct {
	Filter Filter
	// Workers is how many files are read and decoded at once; GOMAXPROCS when zero. Memory
	// is bounded by the files in flight (about twice Workers), not by the size of the trail.
	Workers int
	// Progress, if set, is called after each file (from the goroutine calling Run).
	Progress func(Stats)
	// MaxInput caps one file, in bytes as stored and after decompression;
	// event.DefaultMaxInput when zero. A larger file is refused (one malformed item naming
	// it, wrapping event.ErrTooLarge) before it is read.
	MaxInput int
}

// Stats describe a replay in progress or done.
type Stats struct {
	Files     int   // files to read, after pruning
	Pruned    int   // files listed but left out by their names
	FilesDone int   // files read
	Bytes     int64 // size of the files to read (compressed, as stored)
	BytesDone int64
	Records   int64 // items decoded in the files read (records and malformed items)
	// OutOfRange counts records the filter left out by their own fields: outside the time
	// range (files near its ends hold some), or of another account or region.
	OutOfRange int64
	Started    time.Time
	Elapsed    time.Duration
}

// Run replays src into h: it lists the files the filter keeps (see plan), then reads and
// decodes them with opts.Workers at once, and hands records to h in replay order. Records of
// a file are filtered by opts.Filter before h sees them. It returns an error only when the
// files cannot be listed; a file that cannot be read is reported to h as a malformed item
// naming it, and the replay goes on.
func Run[T any](ctx context.Context, src Source, h Handler[T], opts Options) (Stats, error) {
	st := Stats{Started: time.Now()}
	f := opts.Filter
	if err := f.prepare(); err != nil {
		return st, err
	}
	files, pruned, err := plan(ctx, src, &f)
	if err != nil {
		return st, err
	}
	st.Files, st.Pruned = len(files), pruned
	for _, o := range files {
		st.Bytes += o.Size
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	report := func() {
		st.Elapsed = time.Since(st.Started)
		if opts.Progress != nil {
			opts.Progress(st)
		}
	}
	report()
	for r := range decodeAll(ctx, src, h, &f, files, workers, opts.MaxInput) {
		for _, it := range r.items {
			if it.err != nil {
				h.Malformed(it.err)
			} else {
				h.Deliver(ctx, it.v)
			}
		}
		h.Settled(r.settled)
		st.FilesDone++
		st.BytesDone += r.size
		st.Records += int64(r.records)
		st.OutOfRange += int64(r.outOfRange)
		report()
	}
	return st, ctx.Err()
}

// fileResult is what decoding one file produced, held until its turn comes.
type fileResult[T any] struct {
	items      []item[T]
	settled    int // records Evaluate settled
	outOfRange int
	records    int
	size       int64
}

type item[T any] struct {
	v   T
	err error
}

// decodeAll decodes files with workers goroutines and yields their results in file order.
// At most about 2*workers results wait at once, so memory stays bounded however many files
// there are.
func decodeAll[T any](ctx context.Context, src Source, h Handler[T], f *Filter, files []Object, workers, maxInput int) func(func(fileResult[T]) bool) {
	return func(yield func(fileResult[T]) bool) {
		type job struct {
			o   Object
			out chan<- fileResult[T]
		}
		jobs := make(chan job)
		order := make(chan chan fileResult[T], workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := worker[T]{src: src, h: h, f: f}
				w.dec.MaxInput = maxInput
				if s, ok := h.(eventWanter); ok && f.keepsAll() {
					// Records no rule selects are counted from their event alone: the
					// decoder reads no more of their header.
					w.wants.ask = s.WantsEvent
					w.dec.Want = w.wants.get
				}
				for j := range jobs {
					j.out <- w.file(ctx, j.o)
				}
			}()
		}
		stop := make(chan struct{})
		go func() {
			defer close(order)
			defer close(jobs)
			for _, o := range files {
				out := make(chan fileResult[T], 1)
				select {
				case order <- out:
				case <-stop:
					return
				}
				select {
				case jobs <- job{o, out}:
				case <-stop:
					return
				}
			}
		}()
		defer wg.Wait()
		defer close(stop)
		for out := range order {
			r := <-out
			if ctx.Err() != nil || !yield(r) {
				// Let the dispatcher and the workers finish; nothing waits for their results.
				go func() {
					for range order {
					}
				}()
				return
			}
		}
	}
}

// worker reads and decodes files, reusing its buffers and decoder across them.
type worker[T any] struct {
	src   Source
	h     Handler[T]
	f     *Filter
	buf   []byte
	dec   event.Decoder
	wants wantCache
}

func (w *worker[T]) file(ctx context.Context, o Object) fileResult[T] {
	r := fileResult[T]{size: o.Size}
	name := w.src.Name(o)
	if ctx.Err() != nil {
		return r
	}
	limit := w.dec.MaxInput
	if limit <= 0 {
		limit = event.DefaultMaxInput
	}
	var buf []byte
	var err error
	if o.Size > int64(limit) {
		err = fmt.Errorf("%w: %d bytes stored, more than the %d-byte input cap; refused, not read", event.ErrTooLarge, o.Size, limit)
	} else {
		buf, err = w.src.Read(ctx, o, w.buf)
		w.buf = buf
	}
	if err != nil {
		origin := event.Origin{File: name}
		r.records = 1
		r.items = []item[T]{{err: &event.DecodeError{Origin: origin, Err: fmt.Errorf("%w: %w", event.ErrRead, err)}}}
		return r
	}
	for rec, err := range w.dec.RecordsBytes(name, buf) {
		r.records++
		switch {
		case err != nil:
			r.items = append(r.items, item[T]{err: err})
		case !w.f.keepRecord(&rec.Header):
			r.outOfRange++
		case rec.Declined:
			r.settled++
		default:
			if v, ok := w.h.Evaluate(ctx, rec); ok {
				r.items = append(r.items, item[T]{v: v})
			} else {
				r.settled++
			}
		}
	}
	return r
}
