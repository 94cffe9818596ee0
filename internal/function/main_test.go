package function

import (
	"os"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/setup"
)

// TestMain runs the package's tests with evaluation deadlines no healthy rule comes near,
// however busy the machine: the product's (250 ms a rule, 500 ms a team pack) are wall-clock
// times a loaded 2-core machine can exceed, and a verdict must not depend on that. The
// deadlines themselves are tested where they are enforced (internal/engine,
// internal/pipeline), with rules that never end.
func TestMain(m *testing.M) {
	setup.RuleDeadline, setup.PackDeadline = 10*time.Minute, 10*time.Minute
	os.Exit(m.Run())
}
