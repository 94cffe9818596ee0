package cli

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestScanGzipBombPeakRSS builds the detector and scans a 1 GiB gzip bomb (about 1 MB
// compressed) under /usr/bin/time -v: the scan exits 2 naming the file, and its peak RSS
// stays under 300 MB. It takes a few seconds and a build, so it runs only with
// TRAILHOUND_RSS_TEST=1:
//
//	TRAILHOUND_RSS_TEST=1 go test ./internal/cli -run TestScanGzipBombPeakRSS -v
func TestScanGzipBombPeakRSS(t *testing.T) {
	if os.Getenv("TRAILHOUND_RSS_TEST") != "1" {
		t.Skip("set TRAILHOUND_RSS_TEST=1 to build the detector and measure its peak RSS on a 1 GiB gzip bomb")
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time (GNU time) is not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "detector")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/detector").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bomb := filepath.Join(dir, "bomb.json.gz")
	f, err := os.Create(bomb)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for range 1024 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/time", "-v", bin, "scan", "--format", "json", bomb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitPartial {
		t.Fatalf("exit %v, want %d\n%s", err, ExitPartial, stderr.String())
	}
	if !strings.Contains(stderr.String(), bomb) || !strings.Contains(stderr.String(), "input too large") {
		t.Errorf("stderr does not name the file and the refusal:\n%s", stderr.String())
	}
	var rssKB int
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Maximum resident set size (kbytes): "); ok {
			rssKB, _ = strconv.Atoi(v)
		}
	}
	t.Logf("peak RSS of detector scan on a 1 GiB gzip bomb: %d MB", rssKB/1024)
	if rssKB == 0 || rssKB > 300*1024 {
		t.Errorf("peak RSS %d kB, want (0, 300 MB]", rssKB)
	}
}
