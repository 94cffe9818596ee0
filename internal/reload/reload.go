// Package reload keeps a value built from an S3 object (the rules bundle) current without a
// restart: at most once per interval it asks S3 for the object's ETag (HeadObject), and
// only when the ETag changed does it download the object and build a new value. A value
// that fails to build (a bundle that does not verify or compile) is refused: the last good
// value stays active, and the refused ETag is not downloaded again until it changes. Every
// check is bounded by a timeout, and can run in the background so that a caller with a
// deadline never waits on S3.
package reload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// DefaultInterval is how often the object's ETag is checked by default.
const DefaultInterval = 60 * time.Second

// DefaultTimeout bounds one check by default: HeadObject, GetObject and the read of the body,
// with the SDK's retries inside it. S3 that hangs costs at most this, never the caller's
// whole budget.
const DefaultTimeout = 10 * time.Second

// S3API is the part of the S3 client the watcher uses.
type S3API interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Location is an S3 object.
type Location struct{ Bucket, Key string }

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// ParseS3URL reads s3://bucket/key.
func ParseS3URL(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return Location{}, fmt.Errorf("%q: want s3://bucket/key", s)
	}
	return Location{Bucket: u.Host, Key: strings.TrimPrefix(u.Path, "/")}, nil
}

// Version identifies one content of the object.
type Version struct {
	ETag      string
	VersionID string
}

func (v Version) String() string {
	if v.VersionID != "" {
		return fmt.Sprintf("etag %s version %s", v.ETag, v.VersionID)
	}
	return "etag " + v.ETag
}

// BuildFunc builds a value from the object's content. current is the active value, for
// builders that carry parts of it over. An error refuses the content.
type BuildFunc[T any] func(ctx context.Context, body io.Reader, v Version, current T) (T, error)

// Problem is a check that did not activate new content: the content was refused (Refused:
// the builder's error) or the object could not be checked or fetched (S3 failed or timed
// out). Either way the active value stays.
type Problem struct {
	Refused bool
	Version Version // of the refused content; zero when the fetch failed
	Active  Version
	Err     error
}

// Options configure a Watcher.
type Options struct {
	// Interval is the least time between two checks; DefaultInterval when zero.
	Interval time.Duration
	// Timeout bounds each check (HeadObject, GetObject and reading the body); DefaultTimeout
	// when zero.
	Timeout time.Duration
	// Background makes Current start a due check in a goroutine and return the active value
	// at once, so a caller with a deadline (a Lambda invocation) never waits on S3; the new
	// content becomes active for a later Current. Without it Current checks inline, bounded
	// by Timeout.
	Background bool
	// MaxBytes bounds the object's size; 32 MiB when zero.
	MaxBytes int64
	// OnProblem, if set, is told about every check that failed or refused content.
	OnProblem func(Problem)
	Now       func() time.Time
	Log       *slog.Logger
}

// Watcher holds the value built from the newest good content of an S3 object. It is safe
// for concurrent use; at most one check runs at a time, and no lock is held while it talks
// to S3 or builds.
type Watcher[T any] struct {
	client S3API
	loc    Location
	build  BuildFunc[T]
	opts   Options

	mu       sync.Mutex
	current  T
	active   Version // zero until content was accepted
	refused  string  // ETag of the last refused content
	checked  time.Time
	due      bool
	running  bool
	seq      int // activations so far
	reported int // activations Current has reported as changed
	wg       sync.WaitGroup
}

// New returns a watcher whose value is initial until the object's content is accepted.
// The first Current (or Refresh) checks the object at once.
func New[T any](client S3API, loc Location, initial T, build BuildFunc[T], opts Options) *Watcher[T] {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 32 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Watcher[T]{client: client, loc: loc, build: build, opts: opts, current: initial, due: true}
}

// Current returns the active value and its version (zero before any content was
// accepted), starting a check when the interval has passed since the last one (inline, or in
// the background with Options.Background). changed reports whether content was activated
// since the previous Current.
func (w *Watcher[T]) Current(ctx context.Context) (value T, v Version, changed bool) {
	w.mu.Lock()
	now := w.opts.Now()
	start := !w.running && (w.due || now.Sub(w.checked) >= w.opts.Interval)
	if start {
		w.due, w.checked, w.running = false, now, true
		w.wg.Add(1)
	}
	w.mu.Unlock()
	if start {
		if w.opts.Background {
			// The check outlives this caller's deadline but is bounded by Timeout.
			go w.run(context.WithoutCancel(ctx))
		} else {
			w.run(ctx)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	changed = w.seq != w.reported
	w.reported = w.seq
	return w.current, w.active, changed
}

// Refresh checks the object now, inline and bounded by Timeout, unless a check is already
// running, and reports whether it activated new content. Init uses it, so the first
// invocation starts with the bundle's rules when S3 answers in time.
func (w *Watcher[T]) Refresh(ctx context.Context) bool {
	w.mu.Lock()
	if w.running {
		w.mu.Unlock()
		return false
	}
	w.due, w.checked, w.running = false, w.opts.Now(), true
	w.wg.Add(1)
	before := w.seq
	w.mu.Unlock()
	w.run(ctx)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq != before
}

func (w *Watcher[T]) run(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	defer w.wg.Done()
	w.check(ctx)
	w.mu.Lock()
	w.running = false
	w.mu.Unlock()
}

// Wait waits for a running check to finish (each check is bounded by Timeout).
func (w *Watcher[T]) Wait() { w.wg.Wait() }

// check looks at the object's ETag and, when it is new, downloads and builds the content.
// Failures are logged and reported to OnProblem; the active value stays.
func (w *Watcher[T]) check(ctx context.Context) {
	log := w.opts.Log.With("bundle", w.loc.String())
	w.mu.Lock()
	active, refused, current := w.active, w.refused, w.current
	w.mu.Unlock()
	problem := func(p Problem) {
		p.Active = active
		if w.opts.OnProblem != nil {
			w.opts.OnProblem(p)
		}
	}
	head, err := w.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &w.loc.Bucket, Key: &w.loc.Key})
	if err != nil {
		log.Warn("rules bundle check failed; the active rules stay", "err", err, "active", active.String())
		problem(Problem{Err: fmt.Errorf("check %s: %w", w.loc, err)})
		return
	}
	etag := aws.ToString(head.ETag)
	if etag == active.ETag || etag == refused {
		return
	}
	v, body, err := w.get(ctx)
	if err != nil {
		log.Warn("rules bundle download failed; the active rules stay", "err", err, "active", active.String())
		problem(Problem{Err: err})
		return
	}
	next, err := w.build(ctx, body, v, current)
	if err != nil {
		w.mu.Lock()
		w.refused = v.ETag
		w.mu.Unlock()
		log.Error("rules bundle refused; the last good rules stay active", "err", err, "refused", v.String(), "active", active.String())
		problem(Problem{Refused: true, Version: v, Err: err})
		return
	}
	w.mu.Lock()
	w.current, w.active, w.refused = next, v, ""
	w.seq++
	w.mu.Unlock()
	log.Info("rules bundle activated", "active", v.String())
}

// get downloads the object, bounded by MaxBytes.
func (w *Watcher[T]) get(ctx context.Context) (Version, io.Reader, error) {
	out, err := w.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &w.loc.Bucket, Key: &w.loc.Key})
	if err != nil {
		return Version{}, nil, fmt.Errorf("get %s: %w", w.loc, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, w.opts.MaxBytes+1))
	if err != nil {
		return Version{}, nil, fmt.Errorf("read %s: %w", w.loc, err)
	}
	if int64(len(b)) > w.opts.MaxBytes {
		return Version{}, nil, errors.New("bundle larger than the size limit")
	}
	return Version{ETag: aws.ToString(out.ETag), VersionID: aws.ToString(out.VersionId)}, bytes.NewReader(b), nil
}
