package replay

import (
	"context"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file finds the log files a replay reads. It descends CloudTrail's key layout level by
// level, listing only the account, region, year, month and day folders the filter keeps, so
// excluded prefixes are neither listed nor opened; then it orders the files by the time in
// their names (near event-time order across accounts and regions, which is how live
// processing sees the events and what dedup and threshold windows expect).

// Object is one file (or S3 object) to replay.
type Object struct {
	Key  string // slash-separated, relative to the source's root
	Size int64
	// Time is the time in a CloudTrail log file's name; zero for other files.
	Time time.Time
}

// lister lists a tree of files, local or in S3. Directory names are slash-separated paths
// relative to the root ("" is the root itself).
type lister interface {
	// list returns the names of the subdirectories and the files directly in dir. A dir that
	// does not exist is empty.
	list(ctx context.Context, dir string) (dirs []string, files []Object, err error)
	// walk calls fn for every file below dir, at any depth.
	walk(ctx context.Context, dir string, fn func(Object) error) error
	// rootPath is the root's own path, whose last elements may already be inside the layout
	// (a replay of .../AWSLogs/111122223333/CloudTrail).
	rootPath() string
}

// walker collects the files to replay.
type walker struct {
	l     lister
	f     *Filter
	files []Object
	// Pruned counts listed files left out by name.
	pruned int
}

// plan lists the files to replay from l under filter f, in replay order: files outside the
// layout first (in key order, as scan reads a directory), then log files by the time in
// their names.
func plan(ctx context.Context, l lister, f *Filter) ([]Object, int, error) {
	w := &walker{l: l, f: f}
	if err := w.start(ctx); err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(w.files, func(a, b Object) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return w.files, w.pruned, nil
}

// start descends from the root, at whatever level of the layout the root itself is.
func (w *walker) start(ctx context.Context) error {
	elems := strings.Split(strings.Trim(path.Clean("/"+w.l.rootPath()), "/"), "/")
	at := slices.Index(elems, awsLogs)
	if at < 0 {
		return w.any(ctx, "")
	}
	below := elems[at+1:]
	if len(below) > 0 && isOrgID(below[0]) {
		below = below[1:]
	}
	switch {
	case len(below) == 0:
		return w.awsLogs(ctx, "")
	case len(below) == 1 && isAccount(below[0]):
		return w.account(ctx, "", below[0])
	case len(below) == 2 && isAccount(below[0]) && below[1] == cloudTrail:
		return w.regions(ctx, "", below[0])
	}
	// Deeper (a region or a date folder) or elsewhere: every file, filtered by name.
	return w.all(ctx, "")
}

// add records a file found in a listing, unless the filter excludes it by name.
func (w *walker) add(o Object) {
	name := path.Base(o.Key)
	if !isInputName(name) {
		return
	}
	if !w.f.keepName(name) {
		w.pruned++
		return
	}
	if fn, ok := ParseFileName(name); ok {
		o.Time = fn.Time
	}
	w.files = append(w.files, o)
}

// all adds every file below dir.
func (w *walker) all(ctx context.Context, dir string) error {
	return w.l.walk(ctx, dir, func(o Object) error { w.add(o); return nil })
}

// any handles a folder outside the layout: its files, and its subfolders, looking for AWSLogs.
func (w *walker) any(ctx context.Context, dir string) error {
	dirs, files, err := w.l.list(ctx, dir)
	if err != nil {
		return err
	}
	for _, o := range files {
		w.add(o)
	}
	for _, d := range dirs {
		switch {
		case strings.HasPrefix(d, "."):
		case d == awsLogs:
			err = w.awsLogs(ctx, join(dir, d))
		default:
			err = w.any(ctx, join(dir, d))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// awsLogs handles AWSLogs/: organization ids and accounts.
func (w *walker) awsLogs(ctx context.Context, dir string) error {
	dirs, _, err := w.l.list(ctx, dir)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		switch {
		case isAccount(d):
			err = w.account(ctx, join(dir, d), d)
		case isOrgID(d):
			err = w.awsLogs(ctx, join(dir, d))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// account handles AWSLogs/[org/]<account>/: only its CloudTrail folder holds log files (not
// CloudTrail-Digest, CloudTrail-Insight).
func (w *walker) account(ctx context.Context, dir, account string) error {
	if !w.f.account(account) {
		return nil
	}
	return w.regions(ctx, join(dir, cloudTrail), account)
}

// regions handles .../<account>/CloudTrail/: one folder per region.
func (w *walker) regions(ctx context.Context, dir, account string) error {
	if !w.f.account(account) {
		return nil
	}
	dirs, _, err := w.l.list(ctx, dir)
	if err != nil {
		return err
	}
	for _, r := range dirs {
		if !isRegion(r) || !w.f.region(r) {
			continue
		}
		if err := w.dates(ctx, join(dir, r)); err != nil {
			return err
		}
	}
	return nil
}

// dates handles a region folder: YYYY/MM/DD. Without a time range every file below it is
// listed in one go; with one, only the years, months and days in range are.
func (w *walker) dates(ctx context.Context, dir string) error {
	if w.f.Start.IsZero() && w.f.End.IsZero() {
		return w.all(ctx, dir)
	}
	return w.period(ctx, dir, 0, time.Time{})
}

// period descends one date level (0 year, 1 month, 2 day) below dir, whose own period starts
// at from.
func (w *walker) period(ctx context.Context, dir string, level int, from time.Time) error {
	dirs, files, err := w.l.list(ctx, dir)
	if err != nil {
		return err
	}
	if level == 3 {
		for _, o := range files {
			w.add(o)
		}
		return nil
	}
	width := []int{4, 2, 2}[level]
	for _, d := range dirs {
		if !isDigits(d, width) {
			continue
		}
		start, end := datePeriod(level, d, from)
		if !w.f.keepPeriod(start, end) {
			continue
		}
		if err := w.period(ctx, join(dir, d), level+1, start); err != nil {
			return err
		}
	}
	return nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// datePeriod is the time a date folder of CloudTrail's key layout covers: d is its name (the
// digits isDigits checked) at level 0 (year), 1 (month) or 2 (day), from the start of the
// folder above it.
func datePeriod(level int, d string, from time.Time) (start, end time.Time) {
	n, _ := strconv.Atoi(d)
	switch level {
	case 0:
		start = time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(1, 0, 0)
	case 1:
		start = time.Date(from.Year(), time.Month(n), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	default:
		start = time.Date(from.Year(), from.Month(), n, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 0, 1)
	}
}
