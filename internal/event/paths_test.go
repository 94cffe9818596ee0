package event

import (
	"github.com/trailhound/trailhound/internal/testutil"

	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// named returns a record with the given eventName.
func named(name string) []byte {
	return []byte(strings.Replace(recA, "UpdateAccessKey", name, 1))
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "b", "2.json.gz"), testutil.Gzip(t, testutil.Records(named("B1"), named("B2"))))
	writeFile(t, filepath.Join(dir, "b", "10.jsonl"), append(append(named("B10a"), '\n'), named("B10b")...))
	writeFile(t, filepath.Join(dir, "a.json"), named("A"))
	writeFile(t, filepath.Join(dir, "c", "d", "e.ndjson"), named("E"))
	writeFile(t, filepath.Join(dir, ".hidden.json"), named("Hidden"))
	writeFile(t, filepath.Join(dir, ".git", "x.json"), named("Git"))
	writeFile(t, filepath.Join(dir, "README.md"), []byte("# not an input"))
	writeFile(t, filepath.Join(dir, "b", "111122223333_CloudTrail-Digest_us-east-1_x.json.gz"), testutil.Gzip(t, []byte(`{"awsAccountId":"111122223333"}`)))
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "b", "3-dangling.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a.json"), filepath.Join(dir, "c", "link.json")); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "single.txt") // named explicitly, so decoded whatever its name
	writeFile(t, single, named("Single"))
	missing := filepath.Join(dir, "missing.json")

	stdin := strings.NewReader(string(named("Stdin")))
	paths := []string{dir, missing, "-", single}
	var got []string
	for r, err := range Paths(paths, stdin) {
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrRead) {
				t.Fatalf("error %v is not a *DecodeError wrapping ErrRead", err)
			}
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), de.Origin.File) {
				t.Errorf("error %v does not name the missing path", err)
			}
			got = append(got, "error:"+strings.TrimPrefix(de.Origin.File, dir))
			continue
		}
		got = append(got, strings.TrimPrefix(r.Origin.File, dir)+":"+r.EventName)
	}
	want := []string{
		"/a.json:A",
		"/b/10.jsonl:B10a", "/b/10.jsonl:B10b",
		"/b/2.json.gz:B1", "/b/2.json.gz:B2",
		"error:/b/3-dangling.json",
		"/c/d/e.ndjson:E",
		"/c/link.json:A",
		"error:/missing.json",
		"-:Stdin",
		"/single.txt:Single",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Paths yielded\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPathsUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root reads files whatever their mode; the dangling link and missing path cases of
		// TestPaths cover the reporting.
		t.Log("running as root: permission bits do not stop reads; checking only that the walk goes on")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "1.json"), named("One"))
	writeFile(t, filepath.Join(dir, "2", "x.json"), named("Locked"))
	writeFile(t, filepath.Join(dir, "3.json"), named("Three"))
	if err := os.Chmod(filepath.Join(dir, "2"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "2"), 0o755) })
	res := collect(t, Paths([]string{dir}, nil))
	var names []string
	for _, r := range res.recs {
		names = append(names, r.EventName)
	}
	if os.Geteuid() == 0 {
		if fmt.Sprint(names) != "[One Locked Three]" || len(res.errs) != 0 {
			t.Errorf("records %v, errors %v", names, res.errs)
		}
		return
	}
	if fmt.Sprint(names) != "[One Three]" {
		t.Errorf("records %v, want [One Three]", names)
	}
	if len(res.errs) != 1 || !errors.Is(res.errs[0], fs.ErrPermission) || res.errs[0].Origin.File != filepath.Join(dir, "2") {
		t.Errorf("errors %v, want one permission error naming %s", res.errs, filepath.Join(dir, "2"))
	}
}

// TestPathsStop checks that breaking out of Paths stops the walk.
func TestPathsStop(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.json", i)), named(fmt.Sprint(i)))
	}
	n := 0
	for range Paths([]string{dir, dir}, nil) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("iterated %d times", n)
	}
}

func TestPathsStdinMissing(t *testing.T) {
	res := collect(t, Paths([]string{"-"}, nil))
	if len(res.recs) != 0 || len(res.errs) != 1 || !errors.Is(res.errs[0], ErrRead) || res.errs[0].Origin.File != "-" {
		t.Errorf("Paths(-) without stdin: %+v", res)
	}
}

func TestPathsSymlinkedRoot(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "real", "x", "1.json"), named("One"))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "real"), link); err != nil {
		t.Fatal(err)
	}
	res := collect(t, Paths([]string{link}, nil))
	if len(res.errs) != 0 || len(res.recs) != 1 || res.recs[0].Origin.File != filepath.Join(link, "x", "1.json") {
		t.Errorf("walking a symlinked directory: %+v", res)
	}
}
