package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// burstRecords are the deletions of rules/testdata/remediation/iam-104-burst-by-iam-user.json
// (alice deletes the keys of bob, carol and dave within three minutes), with the $KEY(...)
// placeholders made into key ids.
func burstRecords(t *testing.T) []map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../rules/testdata/remediation/iam-104-burst-by-iam-user.json")
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`\$KEY\((\w+)\)`).ReplaceAllFunc(b, func(m []byte) []byte {
		return []byte("AKIA" + (strings.ToUpper(string(m[5:len(m)-1])) + "0000000000000000")[:16])
	})
	var fx struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range fx.Records {
		if r["eventName"] == "DeleteAccessKey" {
			out = append(out, r)
		}
	}
	if len(out) < 3 {
		t.Fatalf("the fixture has %d deletions, want at least 3", len(out))
	}
	return out
}

// poisonedBurst is one deletion by the same actor claiming eventTime 2099, then the real
// burst, as JSON Lines.
func poisonedBurst(t *testing.T) string {
	recs := burstRecords(t)
	poison := map[string]any{}
	for k, v := range recs[0] {
		poison[k] = v
	}
	poison["eventTime"] = "2099-01-01T00:00:00Z"
	poison["eventID"] = "99999999-2099-4099-8099-999999999999"
	lines := []string{string(testutil.MustJSON(t, poison))}
	for _, r := range recs {
		lines = append(lines, string(testutil.MustJSON(t, r)))
	}
	return strings.Join(lines, "\n") + "\n"
}

// checkPoisonedBurst: the burst rule still raises for the actor, and the alert of the 2099
// deletion says its time is ahead of the trusted clock named clock.
func checkPoisonedBurst(t *testing.T, r cliResult, clock string) {
	t.Helper()
	var burst, flagged int
	for _, a := range alertsOf(t, r.stdout) {
		if a.Rule.ID == "TH-IAM-104" {
			burst++
		}
		if a.Event.ID == "99999999-2099-4099-8099-999999999999" {
			ahead, _ := a.Context["event_time_ahead"].(map[string]any)
			if ahead == nil || ahead["clock"] != clock || ahead["event_time"] != "2099-01-01T00:00:00Z" {
				t.Errorf("alert %s of the 2099 event: context.event_time_ahead = %v, want it flagged against the %s", a.Rule.ID, a.Context["event_time_ahead"], clock)
			}
			flagged++
		}
	}
	if burst == 0 {
		t.Fatalf("no TH-IAM-104 alert: one DeleteAccessKey with eventTime 2099 switched the burst rule off\nstderr: %s", r.stderr)
	}
	if flagged == 0 {
		t.Errorf("the 2099 deletion raised no alert to flag")
	}
}

// TestPoisonedEventTimeScan: scan's trusted clock is the wall clock.
func TestPoisonedEventTimeScan(t *testing.T) {
	t.Setenv("TEAMS_CONFIG", "")
	r := runCLI(t, poisonedBurst(t), "scan", "--format", "json", "-")
	checkPoisonedBurst(t, r, "wall clock")
}

// TestPoisonedEventTimeReplay: replay's trusted clock is the log file's own time, from its
// name; the 2099 record sits in a file written on 2026-03-01.
func TestPoisonedEventTimeReplay(t *testing.T) {
	t.Setenv("TEAMS_CONFIG", "")
	dir := t.TempDir()
	day := filepath.Join(dir, "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2026", "03", "01")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	var recs []json.RawMessage
	for _, l := range strings.Split(strings.TrimSpace(poisonedBurst(t)), "\n") {
		recs = append(recs, json.RawMessage(l))
	}
	body := string(testutil.MustJSON(t, map[string]any{"Records": recs}))
	if err := os.WriteFile(filepath.Join(day, "123456789012_CloudTrail_us-east-1_20260301T1035Z_poisoned0001.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "replay", "--format", "json", "--quiet", dir)
	checkPoisonedBurst(t, r, "log file name")
}
