package bench

import (
	"context"
	"path/filepath"
	"testing"
)

// TestLambdaSize builds the function with deploy/build.sh, as the report measures it.
func TestLambdaSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda binary")
	}
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
