package replay

import (
	"context"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/event"
)

// Test trails: per day, one 5-minute slot at noon with a file for each of two accounts and
// two regions, so a day filter has whole days to prune.
var (
	accountA, accountB = "111122223333", "444455556666"
	day0               = time.Date(2024, 3, 17, 12, 0, 0, 0, time.UTC)
)

// writeTrail writes days days of trail under dir and returns the files' keys.
type synthFile = synth.File

func writeTrail(t testing.TB, dir, org string, days int) []synth.File {
	t.Helper()
	var all []synth.File
	for d := range days {
		c := synth.Default()
		c.Seed = uint64(d + 1)
		c.Records, c.Files, c.IAMPercent, c.OrgID = 400, 4, 10, org
		c.Start = day0.AddDate(0, 0, d)
		files, err := synth.WriteTree(context.Background(), dir, c, 2)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, files...)
	}
	return all
}

// countingFS is a directory tree that counts the files opened and the directories listed.
type countingFS struct {
	fsys   fs.FS
	mu     sync.Mutex
	opened map[string]int
	listed map[string]int
	fail   map[string]bool // files whose Open fails
}

func newCountingFS(dir string) *countingFS {
	return &countingFS{fsys: os.DirFS(dir), opened: map[string]int{}, listed: map[string]int{}}
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opened[name]++
	c.mu.Unlock()
	if c.fail[name] {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return c.fsys.Open(name)
}

func (c *countingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	c.listed[name]++
	c.mu.Unlock()
	return fs.ReadDir(c.fsys, name)
}

func (c *countingFS) Stat(name string) (fs.FileInfo, error) { return fs.Stat(c.fsys, name) }

// recorder is a Handler that keeps what it is given, in order.
type recorder struct {
	mu        sync.Mutex
	evaluated int
	delivered []event.Record
	malformed []error
	settled   int
}

func (r *recorder) Evaluate(_ context.Context, rec event.Record) (event.Record, bool) {
	r.mu.Lock()
	r.evaluated++
	r.mu.Unlock()
	rec.Raw = nil // valid only during the call
	return rec, true
}

func (r *recorder) Deliver(_ context.Context, rec event.Record) {
	r.delivered = append(r.delivered, rec)
}
func (r *recorder) Malformed(err error) { r.malformed = append(r.malformed, err) }
func (r *recorder) Settled(n int)       { r.settled += n }
