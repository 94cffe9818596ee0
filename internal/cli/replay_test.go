package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/bench/synth"
	"github.com/trailhound/trailhound/internal/testutil"
)

// replayTrail writes a small synthetic trail (two days, two accounts, two regions, an
// organization level) under a temporary directory.
func replayTrail(t *testing.T) (string, []synth.File) {
	t.Helper()
	dir := t.TempDir()
	var files []synth.File
	for d := range 2 {
		c := synth.Default()
		c.Seed = uint64(d + 7)
		c.Records, c.Files, c.IAMPercent = 3000, 8, 5
		c.Start = time.Date(2024, 3, 18+d, 9, 0, 0, 0, time.UTC)
		fs, err := synth.WriteTree(context.Background(), dir, c, 2)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	return dir, files
}

// comparable returns the alerts of JSON Lines output without created_at (wall time), sorted.
func comparableAlerts(t *testing.T, stdout string) []string {
	t.Helper()
	alertsOf(t, stdout) // schema check
	var out []string
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "created_at")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// outcomeLine is the outcome summary on stderr, without the command name.
func outcomeLine(t *testing.T, stderr, command string) string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(l, command+": "); ok && strings.Contains(rest, " records: ") {
			return rest
		}
	}
	t.Fatalf("no %s outcome summary in:\n%s", command, stderr)
	return ""
}

func TestReplayDirectoryMatchesScan(t *testing.T) {
	dir, _ := replayTrail(t)
	scan := runCLI(t, "", "scan", "--format", "json", dir)
	if scan.code != ExitOK {
		t.Fatalf("scan exit %d: %s", scan.code, scan.stderr)
	}
	want := comparableAlerts(t, scan.stdout)
	if len(want) < 20 {
		t.Fatalf("scan raised %d alerts: too few to compare", len(want))
	}
	for _, workers := range []string{"1", "4"} {
		rep := runCLI(t, "", "replay", "--format", "json", "--workers", workers, dir)
		if rep.code != ExitOK {
			t.Fatalf("replay exit %d: %s", rep.code, rep.stderr)
		}
		if got := comparableAlerts(t, rep.stdout); !slices.Equal(got, want) {
			t.Fatalf("workers %s: replay raised %d alerts, scan %d, or different ones", workers, len(got), len(want))
		}
		if got, want := outcomeLine(t, rep.stderr, "replay"), outcomeLine(t, scan.stderr, "scan"); got != want {
			t.Fatalf("outcomes differ:\nreplay %s\n  scan %s", got, want)
		}
		if !strings.Contains(rep.stderr, "replay: 16 files read") {
			t.Fatalf("no replay summary:\n%s", rep.stderr)
		}
	}
}

func TestReplayS3MatchesScan(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	dir, files := replayTrail(t)
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		body, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Key)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String("ct/" + f.Key), Body: body})
		body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A time range and an account: scan gets exactly the files the filter keeps.
	var kept []string
	for _, f := range files {
		if f.Account == "111122223333" && f.Time.Day() == 19 {
			kept = append(kept, filepath.Join(dir, filepath.FromSlash(f.Key)))
		}
	}
	scan := runCLI(t, "", append([]string{"scan", "--format", "json"}, kept...)...)
	rep := runCLI(t, "", "replay", "--format", "json", "--start", "2024-03-19", "--end", "2024-03-19", "--account", "111122223333", "s3://org-trail/ct/")
	if rep.code != ExitOK || scan.code != ExitOK {
		t.Fatalf("replay exit %d, scan exit %d:\n%s\n%s", rep.code, scan.code, rep.stderr, scan.stderr)
	}
	want := comparableAlerts(t, scan.stdout)
	if got := comparableAlerts(t, rep.stdout); !slices.Equal(got, want) || len(want) < 5 {
		t.Fatalf("replay from S3 raised %d alerts, scan of the same files %d, or different ones", len(got), len(want))
	}
	if got, want := outcomeLine(t, rep.stderr, "replay"), outcomeLine(t, scan.stderr, "scan"); got != want {
		t.Fatalf("outcomes differ:\nreplay %s\n  scan %s", got, want)
	}
	if strings.Contains(rep.stderr, "DEBUG") {
		t.Fatalf("SDK debug output on stderr:\n%s", rep.stderr)
	}
	// A prefix that holds no log file says so.
	empty := runCLI(t, "", "replay", "--format", "json", "s3://org-trail/nothing-here/")
	if empty.code != ExitOK || !strings.Contains(empty.stderr, "no CloudTrail records under s3://org-trail/nothing-here/ (0 files read") {
		t.Fatalf("empty prefix: exit %d, stderr:\n%s", empty.code, empty.stderr)
	}
}

func TestReplayUsageAndExitCodes(t *testing.T) {
	dir, _ := replayTrail(t)
	for name, args := range map[string][]string{
		"no path":      {"replay"},
		"two paths":    {"replay", dir, dir},
		"bad start":    {"replay", "--start", "last week", dir},
		"empty range":  {"replay", "--start", "2024-03-19", "--end", "2024-03-18", dir},
		"bad account":  {"replay", "--account", "12345", dir},
		"bad region":   {"replay", "--region", "moon-1", dir},
		"missing path": {"replay", filepath.Join(dir, "nope")},
		"bad s3 url":   {"replay", "s3://"},
		"zero workers": {"replay", "--workers", "0", dir},
		"bad fail-on":  {"replay", "--fail-on", "URGENT", dir},
		"bad format":   {"replay", "--format", "xml", dir},
		"bad lateness": {"replay", "--lateness", "-5m", dir},
	} {
		if r := runCLI(t, "", args...); r.code != ExitUsage {
			t.Errorf("%s: exit %d, want %d\n%s", name, r.code, ExitUsage, r.stderr)
		}
	}
	r := runCLI(t, "", "replay", "--format", "json", "--fail-on", "MEDIUM", "--region", "us-east-1,eu-west-1", dir)
	if r.code != ExitAlert {
		t.Fatalf("--fail-on MEDIUM: exit %d\n%s", r.code, r.stderr)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte("{\"Records\":[{oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "", "replay", "--quiet", "--format", "json", dir); r.code != ExitPartial || !strings.Contains(r.stderr, "broken.json") {
		t.Fatalf("malformed file: exit %d\n%s", r.code, r.stderr)
	}
}
