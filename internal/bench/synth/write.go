package synth

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// EachRecord calls fn with each record of file f in order (the JSON of one CloudTrail record,
// valid until fn returns), and whether it is an IAM event. Records cover the Span before the
// file's timestamp, in time order.
func EachRecord(c Config, f File, fn func(rec []byte, iam bool) error) error {
	c = c.withDefaults()
	g := newGen(c.Seed, f)
	start := f.Time.Add(-c.Span)
	iamLeft := f.IAM
	for i := 0; i < f.Records; i++ {
		g.t = start.Add(time.Duration(int64(c.Span) * int64(i+1) / int64(f.Records+1))).Truncate(time.Second)
		// Selection sampling: exactly f.IAM of the records are IAM events, spread at random.
		iam := iamLeft > 0 && g.rng.IntN(f.Records-i) < iamLeft
		var rec string
		if iam {
			iamLeft--
			rec = g.iam()
		} else {
			rec = g.noise()
		}
		if err := fn([]byte(rec), iam); err != nil {
			return err
		}
	}
	return nil
}

// IAMRecords yields, in trail order, the key of its file and the JSON of each IAM record of
// trail c; the caller owns the bytes.
func IAMRecords(c Config) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		errStop := fmt.Errorf("stopped")
		for _, f := range Plan(c) {
			err := EachRecord(c, f, func(rec []byte, iam bool) error {
				if iam && !yield(f.Key, append([]byte(nil), rec...)) {
					return errStop
				}
				return nil
			})
			if err != nil {
				return
			}
		}
	}
}

// WriteFile writes file f as a gzipped CloudTrail log file ({"Records":[...]}) to w.
func WriteFile(w io.Writer, c Config, f File) error {
	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return fmt.Errorf("gzip writer: %w", err)
	}
	bw := bufio.NewWriterSize(zw, 64<<10)
	bw.WriteString(`{"Records":[`)
	first := true
	err = EachRecord(c, f, func(rec []byte, _ bool) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		_, err := bw.Write(rec)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.Key, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip %s: %w", f.Key, err)
	}
	return nil
}

// WriteTree writes every file of the trail under dir (dir/<Key>) with up to workers files
// generated at once, and returns the plan.
func WriteTree(ctx context.Context, dir string, c Config, workers int) ([]File, error) {
	files := Plan(c)
	jobs := make(chan File)
	errs := make(chan error, len(files))
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				errs <- writeOne(dir, c, f)
			}
		}()
	}
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return files, nil
}

func writeOne(dir string, c Config, f File) error {
	path := filepath.Join(dir, filepath.FromSlash(f.Key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	werr := WriteFile(out, c, f)
	if err := out.Close(); err != nil && werr == nil {
		werr = fmt.Errorf("close %s: %w", path, err)
	}
	return werr
}
