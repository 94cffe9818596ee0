package replay

import (
	"context"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

// This file lets code that lists a trail itself (a Step Functions Distributed Map lists the
// prefix with ListObjectsV2 and hands each worker a batch of keys; see internal/backtest) keep
// exactly the files, and the records, a replay of the same root keeps: Select decides for one
// key what plan's descent through the layout decides for it, and the prepared filter checks
// records as Run does.

// Selection is what a replay does with a listed file.
type Selection int

const (
	// Ignored: not a file the replay reads at all (outside the layout's log folders, a
	// digest, not JSON), nor counted.
	Ignored Selection = iota
	// Pruned: a log file left out by its name (Stats.Pruned).
	Pruned
	// Kept: read and replayed.
	Kept
)

func (s Selection) String() string {
	switch s {
	case Pruned:
		return "pruned"
	case Kept:
		return "kept"
	}
	return "ignored"
}

// Prepare validates f and readies it for Select and KeepRecord. Run prepares its own copy.
func (f *Filter) Prepare() error { return f.prepare() }

// KeepRecord reports whether a record's header is within the prepared filter, as Run checks
// every record of the files it reads.
func (f *Filter) KeepRecord(h *event.Header) bool { return f.keepRecord(h) }

// Select reports what a replay of the root at rootPath (a directory path, or an S3 prefix)
// does with the file at key (slash-separated, relative to the root), and for a kept file the
// time in its name (zero outside the layout): plan's descent through CloudTrail's layout,
// one key at a time. Keys are as an S3 listing without a delimiter returns them; a local
// listing leaves out hidden files and folders first, as Local does. f must be prepared.
func (f *Filter) Select(rootPath, key string) (Selection, time.Time) {
	if key == "" || strings.HasSuffix(key, "/") {
		return Ignored, time.Time{}
	}
	parts := strings.Split(key, "/")
	dirs, name := parts[:len(parts)-1], parts[len(parts)-1]
	s := selector{f: f, name: name}
	elems := strings.Split(strings.Trim(path.Clean("/"+rootPath), "/"), "/")
	at := slices.Index(elems, awsLogs)
	if at < 0 {
		return s.any(dirs)
	}
	below := elems[at+1:]
	if len(below) > 0 && isOrgID(below[0]) {
		below = below[1:]
	}
	switch {
	case len(below) == 0:
		return s.awsLogs(dirs)
	case len(below) == 1 && isAccount(below[0]):
		return s.account(below[0], dirs)
	case len(below) == 2 && isAccount(below[0]) && below[1] == cloudTrail:
		return s.regions(below[0], dirs)
	}
	return s.add()
}

// selector follows one key down the walker's levels (walk.go).
type selector struct {
	f    *Filter
	name string
}

func (s selector) add() (Selection, time.Time) {
	if !isInputName(s.name) {
		return Ignored, time.Time{}
	}
	if !s.f.keepName(s.name) {
		return Pruned, time.Time{}
	}
	fn, _ := ParseFileName(s.name)
	return Kept, fn.Time
}

// listed reports whether a folder name is one a delimited listing yields (an empty one, from
// a key with "//", is not).
func listed(d string) bool { return d != "" }

func (s selector) any(dirs []string) (Selection, time.Time) {
	for i, d := range dirs {
		switch {
		case !listed(d) || strings.HasPrefix(d, "."):
			return Ignored, time.Time{}
		case d == awsLogs:
			return s.awsLogs(dirs[i+1:])
		}
	}
	return s.add()
}

func (s selector) awsLogs(dirs []string) (Selection, time.Time) {
	for len(dirs) > 0 && isOrgID(dirs[0]) {
		dirs = dirs[1:]
	}
	if len(dirs) == 0 || !isAccount(dirs[0]) {
		return Ignored, time.Time{}
	}
	return s.account(dirs[0], dirs[1:])
}

func (s selector) account(account string, dirs []string) (Selection, time.Time) {
	if !s.f.account(account) || len(dirs) == 0 || dirs[0] != cloudTrail {
		return Ignored, time.Time{}
	}
	return s.regions(account, dirs[1:])
}

func (s selector) regions(account string, dirs []string) (Selection, time.Time) {
	if !s.f.account(account) || len(dirs) == 0 || !isRegion(dirs[0]) || !s.f.region(dirs[0]) {
		return Ignored, time.Time{}
	}
	return s.dates(dirs[1:])
}

func (s selector) dates(dirs []string) (Selection, time.Time) {
	if s.f.Start.IsZero() && s.f.End.IsZero() {
		return s.add() // every file below the region, at any depth
	}
	if len(dirs) != 3 {
		return Ignored, time.Time{}
	}
	var from time.Time
	for level, d := range dirs {
		if !isDigits(d, []int{4, 2, 2}[level]) {
			return Ignored, time.Time{}
		}
		n, _ := strconv.Atoi(d)
		var start, end time.Time
		switch level {
		case 0:
			start = time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC)
			end = start.AddDate(1, 0, 0)
		case 1:
			start = time.Date(from.Year(), time.Month(n), 1, 0, 0, 0, 0, time.UTC)
			end = start.AddDate(0, 1, 0)
		default:
			start = time.Date(from.Year(), from.Month(), n, 0, 0, 0, 0, time.UTC)
			end = start.AddDate(0, 0, 1)
		}
		if !s.f.keepPeriod(start, end) {
			return Ignored, time.Time{}
		}
		from = start
	}
	return s.add()
}

// List calls fn for every file below src's root, at any depth, as an S3 listing without a
// delimiter returns them (a local tree without its hidden files and folders), with the key
// relative to the root and the size; in no particular order.
func List(ctx context.Context, src Source, fn func(Object) error) error {
	return src.walk(ctx, "", fn)
}

// RootPath is where src's root lies, as Select takes it.
func RootPath(src Source) string { return src.rootPath() }

// Plan lists the files a replay of src under f reads, in replay order (files outside the
// layout first, in key order; then log files by the time in their names, then key), and how
// many more were left out by name.
func Plan(ctx context.Context, src Source, f Filter) ([]Object, int, error) {
	if err := f.prepare(); err != nil {
		return nil, 0, err
	}
	return plan(ctx, src, &f)
}
