package reload

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// hangingS3 is an S3 endpoint on loopback that accepts every request and never answers
// until the test ends: a bucket endpoint that hangs.
func hangingS3(t *testing.T) (*s3.Client, <-chan struct{}) {
	t.Helper()
	release := make(chan struct{})
	arrived := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }); srv.Close() })
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	return client, arrived
}

// TestHangingBundleEndpoint: with S3 hanging, Refresh (init) returns after its timeout with
// the initial value and a reported problem; Current in background mode returns the active
// value while the check is still waiting on S3.
func TestHangingBundleEndpoint(t *testing.T) {
	client, arrived := hangingS3(t)
	loc := Location{Bucket: "rules", Key: "teams.tar.gz"}
	build := func(ctx context.Context, body io.Reader, v Version, current string) (string, error) {
		return "from bundle", nil
	}
	var mu sync.Mutex
	var problems []Problem
	opts := Options{Timeout: 200 * time.Millisecond, OnProblem: func(p Problem) { mu.Lock(); problems = append(problems, p); mu.Unlock() }}
	w := New[string](client, loc, "initial", build, opts)
	if w.Refresh(context.Background()) {
		t.Fatal("Refresh activated content from a hanging endpoint")
	}
	mu.Lock()
	if len(problems) != 1 || problems[0].Refused || !errors.Is(problems[0].Err, context.DeadlineExceeded) {
		t.Fatalf("problems %+v, want one failed check that timed out", problems)
	}
	mu.Unlock()

	for len(arrived) > 0 {
		<-arrived // Refresh's requests
	}
	opts.Timeout = time.Hour // the background check may wait as long as it likes
	opts.Background = true
	w = New[string](client, loc, "initial", build, opts)
	// The caller's deadline is already past: a check inline would fail at once; in the
	// background it must not depend on it, nor make Current wait.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	done := make(chan string)
	go func() {
		v, _, _ := w.Current(ctx)
		done <- v
	}()
	select {
	case v := <-done:
		if v != "initial" {
			t.Fatalf("Current = %q", v)
		}
	case <-time.After(time.Minute):
		t.Fatal("Current waited on a hanging S3 endpoint")
	}
	<-arrived // the background check did reach S3 (and is still waiting on it)
	if v, _, changed := w.Current(context.Background()); v != "initial" || changed {
		t.Fatalf("second Current = %q %v", v, changed)
	}
}
