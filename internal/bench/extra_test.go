package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trailhound/trailhound/internal/testutil"
)

// TestLambdaSize builds the function with deploy/build.sh, as the report measures it (for
// linux/arm64: a compile of every dependency of its own, so only under make lambda-check).
func TestLambdaSize(t *testing.T) {
	testutil.NeedLambdaCheck(t)
	module, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	n, err := lambdaSize(context.Background(), module, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if n < 5<<20 || n > 60<<20 {
		t.Errorf("Lambda binary of %d bytes: not the detector?", n)
	}
	t.Logf("stripped Lambda binary: %d bytes", n)
}
