package replay

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/testutil"
)

// countingTransport counts the S3 requests the SDK sends: GetObject by key, ListObjectsV2 by
// prefix.
type countingTransport struct {
	mu     sync.Mutex
	gets   map[string]int
	lists  []string
	bucket string
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	q := req.URL.Query()
	switch {
	case req.Method == http.MethodGet && q.Has("list-type"):
		c.lists = append(c.lists, q.Get("prefix"))
	case req.Method == http.MethodGet:
		c.gets[strings.TrimPrefix(req.URL.Path, "/"+c.bucket+"/")]++
	}
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets, c.lists = map[string]int{}, nil
}

// TestS3PrunesAndMatchesLocal uploads a trail (organization layout, under a prefix) to moto
// S3 and replays it with filters: GetObject is sent exactly once for each file the filter
// keeps and for no other, excluded accounts are never listed, and the records delivered are
// the same, in the same order, as a replay of the same files from disk.
func TestS3PrunesAndMatchesLocal(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	dir := t.TempDir()
	files := writeTrail(t, dir, "o-exampleorg1", 3)
	counter := &countingTransport{bucket: "trail-bucket"}
	counter.reset()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
		o.HTTPClient = &http.Client{Transport: counter}
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Key)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("trails/" + f.Key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	src, err := NewS3(client, "s3://trail-bucket/trails")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return day0.AddDate(0, 0, d).Truncate(24 * time.Hour) }
	for name, f := range map[string]Filter{
		"none":    {},
		"account": {Accounts: []string{accountA}},
		"range":   {Start: day(1).Add(time.Hour), End: day(3), Regions: []string{"us-east-1"}},
	} {
		t.Run(name, func(t *testing.T) {
			counter.reset()
			r := &recorder{}
			st, err := Run(ctx, src, Handler[event.Record](r), Options{Filter: f, Workers: 3})
			if err != nil {
				t.Fatal(err)
			}
			local, _, _ := replayLocal(t, dir, f, 1)
			want := map[string]int{}
			for _, o := range local.delivered {
				want["trails/"+strings.TrimPrefix(filepath.ToSlash(o.Origin.File), filepath.ToSlash(dir)+"/")] = 1
			}
			if len(counter.gets) != len(want) || st.FilesDone != len(want) {
				t.Fatalf("GetObject for %d objects (read %d), want %d", len(counter.gets), st.FilesDone, len(want))
			}
			for k, n := range counter.gets {
				if want[k] != n {
					t.Errorf("GetObject %s sent %d times, want %d", k, n, want[k])
				}
			}
			if len(f.Accounts) > 0 {
				for _, p := range counter.lists {
					if strings.Contains(p, accountB) {
						t.Errorf("listed %s, of an excluded account", p)
					}
				}
			}
			id := func(rec event.Record) string { return rec.EventID }
			if got, want := mapSlice(r.delivered, id), mapSlice(local.delivered, id); !slices.Equal(got, want) || len(got) == 0 {
				t.Fatalf("S3 delivered %d records, disk %d, or in another order", len(got), len(want))
			}
			if !strings.HasPrefix(r.delivered[0].Origin.File, "s3://trail-bucket/trails/AWSLogs/o-exampleorg1/") {
				t.Fatalf("origin %s", r.delivered[0].Origin.File)
			}
		})
	}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
