package replay

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/event"
)

// S3API is the part of the S3 client a replay uses.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3 replays the objects under s3://bucket/prefix.
type S3 struct {
	client S3API
	bucket string
	prefix string // "" or ending in "/"
}

// IsS3URL reports whether a replay argument names S3.
func IsS3URL(s string) bool { return strings.HasPrefix(s, "s3://") }

// NewS3 replays url (s3://bucket or s3://bucket/prefix) with client.
func NewS3(client S3API, url string) (*S3, error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return nil, fmt.Errorf("%q is not an s3://bucket/prefix URL", url)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3{client: client, bucket: bucket, prefix: prefix}, nil
}

func (s *S3) rootPath() string { return s.prefix }

// Name is the object's s3:// URL.
func (s *S3) Name(o Object) string { return "s3://" + s.bucket + "/" + s.prefix + o.Key }

func (s *S3) list(ctx context.Context, dir string) ([]string, []Object, error) {
	var dirs []string
	var files []Object
	prefix := s.prefix
	if dir != "" {
		prefix += dir + "/"
	}
	err := s.pages(ctx, prefix, "/", func(out *s3.ListObjectsV2Output) {
		for _, cp := range out.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), prefix), "/")
			if name != "" {
				dirs = append(dirs, name)
			}
		}
		for _, o := range out.Contents {
			if key := strings.TrimPrefix(aws.ToString(o.Key), s.prefix); key != "" && !strings.HasSuffix(key, "/") {
				files = append(files, Object{Key: key, Size: aws.ToInt64(o.Size)})
			}
		}
	})
	return dirs, files, err
}

func (s *S3) walk(ctx context.Context, dir string, fn func(Object) error) error {
	prefix := s.prefix
	if dir != "" {
		prefix += dir + "/"
	}
	var ferr error
	err := s.pages(ctx, prefix, "", func(out *s3.ListObjectsV2Output) {
		for _, o := range out.Contents {
			key := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			if ferr == nil && key != "" && !strings.HasSuffix(key, "/") {
				ferr = fn(Object{Key: key, Size: aws.ToInt64(o.Size)})
			}
		}
	})
	if err != nil {
		return err
	}
	return ferr
}

// pages lists every page under prefix.
func (s *S3) pages(ctx context.Context, prefix, delimiter string, page func(*s3.ListObjectsV2Output)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	p := s3.NewListObjectsV2Paginator(s.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, err)
		}
		page(out)
	}
	return nil
}

// Read downloads the object into buf (reused when large enough).
func (s *S3) Read(ctx context.Context, o Object, buf []byte) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + o.Key)})
	if err != nil {
		return buf, err
	}
	defer out.Body.Close()
	if out.ContentLength != nil && *out.ContentLength > o.Size {
		return buf, fmt.Errorf("%w: %d bytes, %d listed (changed after it was listed)", event.ErrTooLarge, *out.ContentLength, o.Size)
	}
	return readAll(out.Body, buf[:0], o.Size)
}
