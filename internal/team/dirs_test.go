package team

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestDirsKeepsPacksWithoutTeamFile: in a directory of team packs, a subdirectory holding
// Rego files but no team.yaml (a team.yml) is a Source without team file, which Load refuses
// by name; subdirectories without Rego files, and hidden ones, are not packs.
func TestDirsKeepsPacksWithoutTeamFile(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("payments/team.yaml", "owner: payments@example.com\n")
	write("ledger/team.yml", "owner: ledger@example.com\n")
	write("ledger/rules/user_deleted.rego", "package teams.ledger.user_deleted\n")
	write("docs/README.md", "not a pack\n")
	write(".git/hooks/x.rego", "package x\n")
	srcs, err := Dirs([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	var teams []string
	for _, s := range srcs {
		teams = append(teams, s.Team)
	}
	if strings.Join(teams, ",") != "ledger,payments" {
		t.Fatalf("teams %v, want ledger and payments", teams)
	}
	if srcs[0].TeamFile != nil {
		t.Fatalf("ledger has a team file: %q", srcs[0].TeamFile)
	}
	_, err = Load(srcs[0], time.Now())
	if err == nil || !strings.Contains(err.Error(), "team pack "+filepath.ToSlash(filepath.Join(root, "ledger"))) ||
		!strings.Contains(err.Error(), "team.yaml: missing") || !strings.Contains(err.Error(), "found team.yml") {
		t.Fatalf("Load: %v, want the missing team file named, and team.yml pointed at", err)
	}
	// A bundle's team with modules but no team file is refused the same way.
	_, err = Load(Source{Team: "ledger", Origin: "s3://b/k#teams/ledger", TeamFileName: "s3://b/k#data.json:teams.ledger",
		FS: fstest.MapFS{"r.rego": {Data: []byte("package teams.ledger.r\n")}}}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "teams.ledger: missing") {
		t.Fatalf("bundle without team data: %v", err)
	}
}
