package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSelftestUsage: selftest needs --function and --queue and takes no arguments (its checks
// against the real handler and bootstrap are in internal/function, with the function's test
// harness).
func TestSelftestUsage(t *testing.T) {
	for _, args := range [][]string{{"selftest"}, {"selftest", "--function", "f"}, {"selftest", "--queue", "q"}, {"selftest", "--function", "f", "--queue", "q", "extra"}} {
		var out, errw bytes.Buffer
		if code := Run(context.Background(), args, strings.NewReader(""), &out, &errw); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, errw.String())
		}
	}
}
