package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestOf: the build information's parts, as a VCS-stamped build has them, and none.
func TestOf(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/trailhound/trailhound", Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := Of(bi), "detector v1.2.3, revision 0123456789abcdef0123456789abcdef01234567+dirty (2026-12-01T10:00:00Z), "+runtime.Version(); got != want {
		t.Errorf("Of: %q, want %q", got, want)
	}
	if got := Of(nil); !strings.Contains(got, "revision unknown") {
		t.Errorf("Of(nil): %q", got)
	}
}
