package bench

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"

	"github.com/trailhound/trailhound/internal/event"
)

// LogFiles returns the gzipped log files under dir, sorted.
func LogFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	slices.Sort(files)
	return files, nil
}

// Floor reads every file with workers goroutines, decompresses it (with the gzip package the
// decoder uses, into a reused buffer) and splits it into records (event.Split): the least a
// replay must do, nothing else. It returns the number of records.
func Floor(files []string, workers int) (int64, error) {
	var records atomic.Int64
	var firstErr error
	var once sync.Once
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var zr gzip.Reader
			var src bytes.Reader
			var in, out []byte
			for path := range jobs {
				n, err := floorFile(path, &zr, &src, &in, &out)
				if err != nil {
					once.Do(func() { firstErr = err })
					continue
				}
				records.Add(n)
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return records.Load(), firstErr
}

func floorFile(path string, zr *gzip.Reader, src *bytes.Reader, in, out *[]byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if int64(cap(*in)) < st.Size() {
		*in = make([]byte, st.Size())
	}
	*in = (*in)[:st.Size()]
	if _, err := f.ReadAt(*in, 0); err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	src.Reset(*in)
	if err := zr.Reset(src); err != nil {
		return 0, fmt.Errorf("gunzip %s: %w", path, err)
	}
	buf := bytes.NewBuffer((*out)[:0])
	if _, err := buf.ReadFrom(zr); err != nil {
		return 0, fmt.Errorf("gunzip %s: %w", path, err)
	}
	*out = buf.Bytes()
	var n int64
	if err := event.Split(*out, func([]byte, int) bool { n++; return true }); err != nil {
		return 0, fmt.Errorf("split %s: %w", path, err)
	}
	return n, nil
}
