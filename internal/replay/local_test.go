package replay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/event"
)

// replayLocal replays the tree at dir through a recorder, counting opens.
func replayLocal(t *testing.T, dir string, f Filter, workers int) (*recorder, *countingFS, Stats) {
	t.Helper()
	cfs := newCountingFS(dir)
	r := &recorder{}
	st, err := Run(context.Background(), NewLocalFS(dir, cfs), Handler[event.Record](r), Options{Filter: f, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return r, cfs, st
}

// TestFiltersPruneWithoutOpening replays trees with and without an organization level and
// checks, for each filter, that exactly the files it keeps were opened (each once), that the
// directories of excluded accounts and days were not even listed, and that every record
// delivered is within the filter.
func TestFiltersPruneWithoutOpening(t *testing.T) {
	for _, org := range []string{"", "o-exampleorg1"} {
		dir := t.TempDir()
		files := writeTrail(t, dir, org, 3)
		day := func(d int) time.Time { return day0.AddDate(0, 0, d).Truncate(24 * time.Hour) }
		cases := map[string]struct {
			f    Filter
			keep func(account, region string, at time.Time) bool
		}{
			"none":    {Filter{}, func(string, string, time.Time) bool { return true }},
			"account": {Filter{Accounts: []string{accountB}}, func(a, _ string, _ time.Time) bool { return a == accountB }},
			"region":  {Filter{Regions: []string{"eu-west-1"}}, func(_, r string, _ time.Time) bool { return r == "eu-west-1" }},
			"day":     {Filter{Start: day(1).Add(time.Hour), End: day(2)}, func(_, _ string, at time.Time) bool { return at.After(day(1)) && at.Before(day(2)) }},
			"all three": {Filter{Start: day(2), End: day(3), Accounts: []string{accountA}, Regions: []string{"us-east-1"}},
				func(a, r string, at time.Time) bool { return a == accountA && r == "us-east-1" && at.After(day(2)) }},
		}
		for name, c := range cases {
			t.Run(org+"/"+name, func(t *testing.T) {
				r, cfs, st := replayLocal(t, dir, c.f, 3)
				want := map[string]int{}
				for _, f := range files {
					if c.keep(f.Account, f.Region, f.Time) {
						want[f.Key] = 1
					}
				}
				if len(want) == 0 || (name != "none" && len(want) == len(files)) {
					t.Fatalf("bad case: keeps %d of %d files", len(want), len(files))
				}
				for k, n := range cfs.opened {
					if want[k] != n {
						t.Errorf("opened %s %d times, want %d", k, n, want[k])
					}
				}
				if len(cfs.opened) != len(want) || st.FilesDone != len(want) {
					t.Errorf("opened %d files (stats: %d), want %d", len(cfs.opened), st.FilesDone, len(want))
				}
				for d := range cfs.listed {
					for _, a := range c.f.Accounts {
						other := accountA
						if a == accountA {
							other = accountB
						}
						if strings.Contains(d, other) {
							t.Errorf("listed %s, of an excluded account", d)
						}
					}
					if !c.f.Start.IsZero() && strings.HasSuffix(d, day0.Format("2006/01/02")) {
						t.Errorf("listed %s, a day before the range", d)
					}
				}
				for _, rec := range r.delivered {
					if !c.keep(rec.RecipientAccountID, rec.AWSRegion, mustTime(t, rec.EventTime)) {
						t.Fatalf("delivered a record outside the filter: %s %s %s", rec.RecipientAccountID, rec.AWSRegion, rec.EventTime)
					}
				}
				if len(r.delivered) == 0 || len(r.malformed) > 0 {
					t.Fatalf("%d delivered, malformed %v", len(r.delivered), r.malformed)
				}
			})
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := event.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// TestRecordsFilteredByEventTime cuts the time range inside a file's span: the file is
// opened, and only its records from the start on are delivered.
func TestRecordsFilteredByEventTime(t *testing.T) {
	dir := t.TempDir()
	writeTrail(t, dir, "", 1)
	cut := day0.Add(2*time.Minute + 30*time.Second) // files span [12:00, 12:05)
	r, cfs, st := replayLocal(t, dir, Filter{Start: cut}, 2)
	if len(cfs.opened) != 4 {
		t.Fatalf("opened %d files, want 4", len(cfs.opened))
	}
	if st.OutOfRange == 0 || len(r.delivered) == 0 || st.OutOfRange+int64(len(r.delivered)) != st.Records {
		t.Fatalf("out of range %d, delivered %d, records %d", st.OutOfRange, len(r.delivered), st.Records)
	}
	for _, rec := range r.delivered {
		if mustTime(t, rec.EventTime).Before(cut) {
			t.Fatalf("delivered %s, before %s", rec.EventTime, cut)
		}
	}
}

// TestOrderIndependentOfWorkers checks that records reach Deliver in the same order with one
// worker and with several: files by the time in their names, then by key; records in file
// order.
func TestOrderIndependentOfWorkers(t *testing.T) {
	dir := t.TempDir()
	files := writeTrail(t, dir, "o-exampleorg1", 2)
	one, _, _ := replayLocal(t, dir, Filter{}, 1)
	many, _, _ := replayLocal(t, dir, Filter{}, 8)
	key := func(r event.Record) string { return r.Origin.String() + " " + r.EventID }
	if !slices.EqualFunc(one.delivered, many.delivered, func(a, b event.Record) bool { return key(a) == key(b) }) {
		t.Fatal("8 workers delivered in another order than 1")
	}
	slices.SortFunc(files, func(a, b synthFile) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	var got []string
	for _, rec := range one.delivered {
		if k := strings.TrimPrefix(filepath.ToSlash(rec.Origin.File), filepath.ToSlash(dir)+"/"); len(got) == 0 || got[len(got)-1] != k {
			got = append(got, k)
		}
	}
	var want []string
	for _, f := range files {
		want = append(want, f.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("file order\n got %v\nwant %v", got, want)
	}
	if n := len(one.delivered); n != 2*400 {
		t.Fatalf("delivered %d records, want 800", n)
	}
}

// TestUnreadableAndMalformedFiles: a broken item and a file that cannot be read are reported
// through Malformed, in replay order, naming their files; everything else is delivered.
func TestUnreadableAndMalformedFiles(t *testing.T) {
	dir := t.TempDir()
	writeTrail(t, dir, "", 1)
	for name, body := range map[string]string{
		"extra.json":   "{\"Records\":[{\"eventName\":\"GetUser\",\"eventSource\":\"iam.amazonaws.com\"},{broken\n]}\n",
		"failing.json": "{}",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfs := newCountingFS(dir)
	cfs.fail = map[string]bool{"failing.json": true}
	r := &recorder{}
	st, err := Run(context.Background(), NewLocalFS(dir, cfs), Handler[event.Record](r), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.malformed) != 2 {
		t.Fatalf("malformed %v, want 2", r.malformed)
	}
	for i, c := range []struct {
		file  string
		cause error
	}{{"extra.json", event.ErrSyntax}, {"failing.json", event.ErrRead}} {
		var de *event.DecodeError
		if !errors.As(r.malformed[i], &de) || filepath.Base(de.Origin.File) != c.file || !errors.Is(de, c.cause) {
			t.Errorf("malformed[%d] = %v, want %v in %s", i, r.malformed[i], c.cause, c.file)
		}
	}
	if st.FilesDone != 6 || len(r.delivered) != 401 || r.delivered[0].EventName != "GetUser" {
		t.Fatalf("files %d, delivered %d", st.FilesDone, len(r.delivered))
	}
}

// TestRootInsideLayout replays from a folder below AWSLogs (an account, its CloudTrail
// folder) and from a single file.
func TestRootInsideLayout(t *testing.T) {
	dir := t.TempDir()
	files := writeTrail(t, dir, "o-exampleorg1", 2)
	for _, sub := range []string{"AWSLogs/o-exampleorg1/" + accountA, "AWSLogs/o-exampleorg1/" + accountA + "/CloudTrail", files[0].Key} {
		root := filepath.Join(dir, filepath.FromSlash(sub))
		src, err := NewLocal(root)
		if err != nil {
			t.Fatal(err)
		}
		r := &recorder{}
		st, err := Run(context.Background(), src, Handler[event.Record](r), Options{Filter: Filter{Regions: []string{"us-east-1"}, Start: day0.AddDate(0, 0, 1).Truncate(24 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		want := 1 // account A, us-east-1, second day
		if sub == files[0].Key {
			want = 0 // the first day's file: left out by its name
		}
		if st.FilesDone != want {
			t.Errorf("%s: read %d files, want %d", sub, st.FilesDone, want)
		}
	}
}

// wantingRecorder is a recorder that also tells the decoder which events it wants (IAM), as
// PipelineHandler does: every other record must be settled without reaching Evaluate.
type wantingRecorder struct{ recorder }

func (w *wantingRecorder) WantsEvent(source, _ string) bool { return source == "iam.amazonaws.com" }

func (w *wantingRecorder) Evaluate(ctx context.Context, rec event.Record) (event.Record, bool) {
	if rec.Declined || !w.WantsEvent(rec.EventSource, rec.EventName) {
		w.mu.Lock()
		w.evaluated = -1 << 30 // fails the count below
		w.mu.Unlock()
	}
	return w.recorder.Evaluate(ctx, rec)
}

// TestDeclinedRecordsSettled: with a handler that names the events it wants and a filter that
// keeps everything, the records of other events are settled without Evaluate, and the wanted
// ones are delivered with their whole header, as without the handler's help; with a filter,
// every record is read whole and filtered as before.
func TestDeclinedRecordsSettled(t *testing.T) {
	dir := t.TempDir()
	writeTrail(t, dir, "", 1)
	plain := &recorder{}
	st0, err := Run(context.Background(), NewLocalFS(dir, os.DirFS(dir)), Handler[event.Record](plain), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var want []event.Record
	for _, rec := range plain.delivered {
		if rec.EventSource == "iam.amazonaws.com" {
			want = append(want, rec)
		}
	}
	if len(want) == 0 || len(want) == len(plain.delivered) {
		t.Fatalf("%d IAM records of %d: the trail does not mix events", len(want), len(plain.delivered))
	}
	w := &wantingRecorder{}
	st, err := Run(context.Background(), NewLocalFS(dir, os.DirFS(dir)), Handler[event.Record](w), Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != st0.Records || w.evaluated != len(want) || w.settled != len(plain.delivered)-len(want) {
		t.Fatalf("records %d (want %d), evaluated %d (want %d), settled %d (want %d)",
			st.Records, st0.Records, w.evaluated, len(want), w.settled, len(plain.delivered)-len(want))
	}
	if !slices.EqualFunc(w.delivered, want, func(a, b event.Record) bool { return a.Header == b.Header && a.Origin == b.Origin }) {
		t.Fatal("the wanted records were not delivered as without the handler's help")
	}

	// A filter needs every record's header: nothing is declined, and records out of range
	// are counted as before.
	cut := day0.Add(2*time.Minute + 30*time.Second)
	_, _, stp := replayLocal(t, dir, Filter{Start: cut}, 2)
	wf := &wantingRecorder{}
	stf, err := Run(context.Background(), NewLocalFS(dir, os.DirFS(dir)), Handler[event.Record](wf), Options{Workers: 2, Filter: Filter{Start: cut}})
	if err != nil {
		t.Fatal(err)
	}
	if stf.OutOfRange != stp.OutOfRange || stf.OutOfRange == 0 || wf.settled != 0 {
		t.Fatalf("with a filter: out of range %d (want %d), settled %d (want 0)", stf.OutOfRange, stp.OutOfRange, wf.settled)
	}
}

// TestWantCache: the cache answers as the handler does for every event, colliding ones
// included, and asks the handler again only for an event whose slot another took.
func TestWantCache(t *testing.T) {
	asked := map[[2]string]int{}
	want := func(source, name string) bool { return len(source)+len(name)%3 == 20 }
	c := wantCache{ask: func(source, name string) bool {
		asked[[2]string{source, name}]++
		return want(source, name)
	}}
	var events [][2]string
	for i := range 600 {
		events = append(events, [2]string{fmt.Sprintf("svc%d.amazonaws.com", i%7), fmt.Sprintf("Action%d", i)}, [2]string{"", ""})
	}
	for range 3 {
		for _, e := range events {
			if got := c.get(e[0], e[1]); got != want(e[0], e[1]) {
				t.Fatalf("%q: %v, want %v", e, got, want(e[0], e[1]))
			}
		}
	}
	c = wantCache{ask: c.ask}
	clear(asked)
	for range 5 {
		c.get("iam.amazonaws.com", "UpdateAccessKey")
	}
	if n := asked[[2]string{"iam.amazonaws.com", "UpdateAccessKey"}]; n != 1 {
		t.Fatalf("asked %d times for one event, want once", n)
	}
}
