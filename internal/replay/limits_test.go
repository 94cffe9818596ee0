package replay

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"

	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/testutil"
)

// bombFiles writes a trail beside a gzip bomb (3 MiB of spaces, a few KiB compressed) and a
// plain file over the cap, and returns the bomb's and the big file's keys.
func bombFiles(t *testing.T, dir string) (bomb, big string) {
	t.Helper()
	writeTrail(t, dir, "", 1)
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for range 3 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bomb, big = "bomb.json.gz", "big.json"
	for name, body := range map[string][]byte{bomb: buf.Bytes(), big: bytes.Repeat([]byte(" "), 3<<20)} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return bomb, big
}

// checkRefused: the bomb and the big file are each one malformed item naming the file and
// wrapping event.ErrTooLarge, and every record of the trail was still delivered.
func checkRefused(t *testing.T, r *recorder, want int, names ...string) {
	t.Helper()
	if len(r.malformed) != len(names) {
		t.Fatalf("malformed %v, want one per refused file %v", r.malformed, names)
	}
	for i, name := range names {
		var de *event.DecodeError
		if !errors.As(r.malformed[i], &de) || !strings.HasSuffix(de.Origin.File, name) || !errors.Is(de, event.ErrTooLarge) {
			t.Errorf("malformed[%d] = %v, want ErrTooLarge naming %s", i, r.malformed[i], name)
		}
	}
	if len(r.delivered)+r.settled != want {
		t.Errorf("%d records delivered or settled, want the trail's %d", len(r.delivered)+r.settled, want)
	}
}

func TestReplayRefusesBombsLocal(t *testing.T) {
	dir := t.TempDir()
	bomb, big := bombFiles(t, dir)
	r := &recorder{}
	if _, err := Run(context.Background(), NewLocalFS(dir, os.DirFS(dir)), Handler[event.Record](r), Options{Workers: 2, MaxInput: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	checkRefused(t, r, 400, big, bomb)
}

func TestReplayRefusesBombsS3(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	dir := t.TempDir()
	bomb, big := bombFiles(t, dir)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingTransport{bucket: "bomb-bucket"}
	counter.reset()
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
		o.HTTPClient = &http.Client{Transport: counter}
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bomb-bucket")}); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bomb-bucket"), Key: aws.String(filepath.ToSlash(rel)), Body: bytes.NewReader(body)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewS3(client, "s3://bomb-bucket")
	if err != nil {
		t.Fatal(err)
	}
	counter.reset()
	r := &recorder{}
	if _, err := Run(ctx, src, Handler[event.Record](r), Options{Workers: 2, MaxInput: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	checkRefused(t, r, 400, big, bomb)
	if counter.gets[big] != 0 {
		t.Errorf("the object over the cap was fetched (%d GetObject); its listed size should refuse it", counter.gets[big])
	}
}

// TestReadAllStopsPastListedSize: an object larger than its listing said is not read past
// its listed size.
func TestReadAllStopsPastListedSize(t *testing.T) {
	buf, err := readAll(strings.NewReader(strings.Repeat("x", 10_000)), nil, 100)
	if !errors.Is(err, event.ErrTooLarge) || cap(buf) > 101 {
		t.Fatalf("err %v, buffer %d bytes; want ErrTooLarge holding at most 101 bytes", err, cap(buf))
	}
}
