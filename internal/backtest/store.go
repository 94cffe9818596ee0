package backtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Store is where a run writes its objects: an S3 prefix (S3Store) or a local directory
// (DirStore). Keys are slash-separated and relative to the run.
type Store interface {
	Put(ctx context.Context, key string, body io.ReadSeeker) error
	// Get reads an object of at most max bytes; a larger one is an error.
	Get(ctx context.Context, key string, max int64) ([]byte, error)
	Exists(ctx context.Context, key string) (bool, error)
	// List calls fn for every key under prefix, in byte order (S3's listing order).
	List(ctx context.Context, prefix string, fn func(key string) error) error
	// URL names an object in messages: s3://bucket/prefix/key or a path.
	URL(key string) string
}

// S3API is the part of the S3 client a backtest uses.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// ParseS3URL splits s3://bucket/prefix; the prefix is "" or ends in "/".
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix URL", u)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// S3Store is a run under s3://Bucket/Prefix.
type S3Store struct {
	Client S3API
	Bucket string
	Prefix string // "" or ending in "/"
}

// NewS3Store opens the run at url (s3://bucket/prefix).
func NewS3Store(client S3API, url string) (*S3Store, error) {
	b, p, err := ParseS3URL(url)
	if err != nil {
		return nil, err
	}
	return &S3Store{Client: client, Bucket: b, Prefix: p}, nil
}

// URL is the object's s3:// URL.
func (s *S3Store) URL(key string) string { return "s3://" + s.Bucket + "/" + s.Prefix + key }

// Put writes an object (a retry overwrites it).
func (s *S3Store) Put(ctx context.Context, key string, body io.ReadSeeker) error {
	_, err := s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Prefix + key), Body: body})
	if err != nil {
		return fmt.Errorf("write %s: %w", s.URL(key), err)
	}
	return nil
}

// Get reads an object of at most max bytes.
func (s *S3Store) Get(ctx context.Context, key string, max int64) ([]byte, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Prefix + key)})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.URL(key), err)
	}
	defer out.Body.Close()
	return readCapped(out.Body, max, s.URL(key))
}

// Exists reports whether the object exists.
func (s *S3Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Prefix + key)})
	var nf *types.NotFound
	var nk *types.NoSuchKey
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &nf) || errors.As(err, &nk):
		return false, nil
	}
	return false, fmt.Errorf("head %s: %w", s.URL(key), err)
}

// List lists the keys under prefix in S3's order (UTF-8 binary, which is byte order).
func (s *S3Store) List(ctx context.Context, prefix string, fn func(string) error) error {
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.Prefix + prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %s: %w", s.URL(prefix), err)
		}
		for _, o := range out.Contents {
			if err := fn(strings.TrimPrefix(aws.ToString(o.Key), s.Prefix)); err != nil {
				return err
			}
		}
	}
	return nil
}

// DirStore is a run in a local directory.
type DirStore struct{ Dir string }

// URL is the object's path.
func (d DirStore) URL(key string) string { return filepath.Join(d.Dir, filepath.FromSlash(key)) }

func (d DirStore) path(key string) (string, error) {
	if !fs.ValidPath(key) {
		return "", fmt.Errorf("run key %q is not a clean relative path", key)
	}
	return d.URL(key), nil
}

// Put writes the object through a temporary file and a rename, so a reader never sees half.
func (d DirStore) Put(_ context.Context, key string, body io.ReadSeeker) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(tmp, body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Get reads the object.
func (d DirStore) Get(_ context.Context, key string, max int64) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	return readCapped(f, max, p)
}

// Exists reports whether the object exists.
func (d DirStore) Exists(_ context.Context, key string) (bool, error) {
	p, err := d.path(key)
	if err != nil {
		return false, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil && st.Mode().IsRegular(), err
}

// List lists the keys under prefix in byte order (hidden temporary files left out).
func (d DirStore) List(_ context.Context, prefix string, fn func(string) error) error {
	var keys []string
	err := filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".put-") {
			return nil
		}
		rel, err := filepath.Rel(d.Dir, p)
		if err != nil {
			return err
		}
		if k := filepath.ToSlash(rel); strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", d.URL(prefix), err)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

// readCapped reads r, refusing more than max bytes.
func readCapped(r io.Reader, max int64, name string) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if n > max {
		return nil, fmt.Errorf("read %s: larger than the %d-byte limit", name, max)
	}
	return buf.Bytes(), nil
}
