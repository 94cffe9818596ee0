package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestControlCharactersInFileNamesEscaped: a file whose name holds terminal escape sequences,
// a bell, a carriage return and a newline is named on stderr with those escaped: nothing an
// input names can reach the analyst's terminal raw or forge another line.
func TestControlCharactersInFileNamesEscaped(t *testing.T) {
	t.Setenv("TEAMS_CONFIG", "")
	dir := t.TempDir()
	name := "evil\x1b]0;pwned\x07\x1b[2J\rdetector: all clear\n.json"
	if err := os.WriteFile(filepath.Join(dir, name), []byte("{not json\n"), 0o644); err != nil {
		t.Skipf("this file system refuses the name: %v", err)
	}
	r := runCLI(t, "", "scan", "--format", "json", dir)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want %d\n%q", r.code, ExitPartial, r.stderr)
	}
	for _, c := range []string{"\x1b", "\x07", "\r"} {
		if strings.Contains(r.stderr, c) {
			t.Errorf("stderr carries %q raw: %q", c, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "\ndetector: all clear") {
		t.Errorf("a file name forged a line on stderr: %q", r.stderr)
	}
	if !strings.Contains(r.stderr, `evil\x1b]0;pwned\a\x1b[2J\rdetector: all clear\n.json`) {
		t.Errorf("stderr does not name the file, escaped: %q", r.stderr)
	}
}

func TestTerminalSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain message":             "plain message",
		"two\nlines\tand a tab":     "two\nlines\tand a tab",
		"esc \x1b[31mred":           `esc \x1b[31mred`,
		"c1 \u009b31m and del \x7f": `c1 \u009b31m and del \x7f`,
		"naïve ünïcödé":             "naïve ünïcödé",
	} {
		if got := terminalSafe(in); got != want {
			t.Errorf("terminalSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
