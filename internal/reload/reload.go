// Package reload keeps a value built from an S3 object (the rules bundle) current without a
// restart: at most once per interval it asks S3 for the object's ETag (HeadObject), and
// only when the ETag changed does it download the object and build a new value. A value
// that fails to build (a bundle that does not verify or compile) is refused: the last good
// value stays active, and the refused ETag is not downloaded again until it changes.
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

// Options configure a Watcher.
type Options struct {
	// Interval is the least time between two checks; DefaultInterval when zero.
	Interval time.Duration
	// MaxBytes bounds the object's size; 32 MiB when zero.
	MaxBytes int64
	Now      func() time.Time
	Log      *slog.Logger
}

// Watcher holds the value built from the newest good content of an S3 object. It is safe
// for concurrent use; a check runs under its lock, so concurrent callers wait for it.
type Watcher[T any] struct {
	client S3API
	loc    Location
	build  BuildFunc[T]
	opts   Options

	mu      sync.Mutex
	current T
	active  Version // zero until content was accepted
	refused string  // ETag of the last refused content
	checked time.Time
	due     bool
}

// New returns a watcher whose value is initial until the object's content is accepted.
// The first Current checks the object at once.
func New[T any](client S3API, loc Location, initial T, build BuildFunc[T], opts Options) *Watcher[T] {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
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
// accepted), checking the object first when the interval has passed since the last check.
// changed reports whether this call activated new content.
func (w *Watcher[T]) Current(ctx context.Context) (value T, v Version, changed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.opts.Now()
	if w.due || now.Sub(w.checked) >= w.opts.Interval {
		w.due = false
		w.checked = now
		changed = w.check(ctx)
	}
	return w.current, w.active, changed
}

// check looks at the object's ETag and, when it is new, downloads and builds the content.
// Failures are logged; the active value stays.
func (w *Watcher[T]) check(ctx context.Context) bool {
	log := w.opts.Log.With("bundle", w.loc.String())
	head, err := w.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &w.loc.Bucket, Key: &w.loc.Key})
	if err != nil {
		log.Warn("rules bundle check failed; the active rules stay", "err", err, "active", w.active.String())
		return false
	}
	etag := aws.ToString(head.ETag)
	if etag == w.active.ETag || etag == w.refused {
		return false
	}
	v, body, err := w.get(ctx)
	if err != nil {
		log.Warn("rules bundle download failed; the active rules stay", "err", err, "active", w.active.String())
		return false
	}
	next, err := w.build(ctx, body, v, w.current)
	if err != nil {
		w.refused = v.ETag
		log.Error("rules bundle refused; the last good rules stay active", "err", err, "refused", v.String(), "active", w.active.String())
		return false
	}
	w.current, w.active, w.refused = next, v, ""
	log.Info("rules bundle activated", "active", v.String())
	return true
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
