package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// EvalStat is BenchmarkEvaluate (internal/engine) for one record set: medians over runs.
type EvalStat struct {
	Name   string // mixed, quiet, alerting
	P50Ns  float64
	MeanNs float64
	Allocs float64
}

// Evaluate runs the engine benchmark (a selected IAM record through the full pack) count times
// and returns the medians per record set.
func Evaluate(ctx context.Context, module string, count int) ([]EvalStat, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkEvaluate$", "-benchtime", "3000x",
		"-count", strconv.Itoa(count), "./internal/engine/")
	cmd.Dir = module
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench BenchmarkEvaluate: %w\n%s", err, tail(out))
	}
	return parseEvaluate(out)
}

// parseEvaluate reads the benchmark lines: BenchmarkEvaluate/<set>-N <iters> <v> <unit> ...
func parseEvaluate(out []byte) ([]EvalStat, error) {
	metrics := map[string]map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkEvaluate/") {
			continue
		}
		name := strings.TrimPrefix(f[0], "BenchmarkEvaluate/")
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		if metrics[name] == nil {
			metrics[name] = map[string][]float64{}
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				metrics[name][f[i+1]] = append(metrics[name][f[i+1]], v)
			}
		}
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("no BenchmarkEvaluate results in:\n%s", tail(out))
	}
	var stats []EvalStat
	for _, name := range order {
		m := metrics[name]
		stats = append(stats, EvalStat{Name: name, P50Ns: mid(m["ns-p50/event"]), MeanNs: mid(m["ns/event"]), Allocs: mid(m["allocs/event"])})
	}
	return stats, nil
}

func mid(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}
