package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// coldStartEvent is the one event the cold start is measured with: an alerting
// UpdateAccessKey (another user's key reactivated), so rules compile, the event is evaluated
// and the alert is built and written.
const coldStartEvent = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"alice"},"eventTime":"2024-03-18T09:31:07Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"aws-cli/2.15.30","requestParameters":{"userName":"bob","accessKeyId":"AKIAI44QH8DHBEXAMPLE","status":"Active"},"responseElements":null,"requestID":"3f0d9c5e-6b1a-4c8e-9f27-2b7c1d4e5a60","eventID":"8e5c2a71-4d3b-4f6e-a0c9-7b1e2d3f4a5b","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

// coldStart runs `detector scan` on one event runs times and returns the median wall time
// from process start to exit: rules compiled, the event evaluated, its alert written.
func coldStart(ctx context.Context, detector, dir string, runs int) (time.Duration, error) {
	event := filepath.Join(dir, "cold-start-event.json")
	if err := os.WriteFile(event, []byte(coldStartEvent), 0o644); err != nil {
		return 0, err
	}
	var walls []time.Duration
	for range runs {
		cmd := exec.CommandContext(ctx, detector, "scan", "--format", "json", event)
		s, err := measure(cmd)
		if err != nil {
			return 0, err
		}
		if !strings.Contains(string(s.Stderr), "alerted=1") {
			return 0, fmt.Errorf("cold start event raised no alert:\n%s", s.Stderr)
		}
		walls = append(walls, s.Wall)
	}
	slices.Sort(walls)
	return walls[len(walls)/2], nil
}

// lambdaSize builds the function as deploy/build.sh builds it (cmd/bootstrap, stripped,
// linux/arm64) and returns its size in bytes.
func lambdaSize(ctx context.Context, module, dir string) (int64, error) {
	out, err := filepath.Abs(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(module, "deploy", "build.sh"), out)
	cmd.Dir = module
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("deploy/build.sh: %w\n%s", err, b)
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Grown is the replay of a trail Factor times larger.
type Grown struct {
	Factor  int
	Records int64
	Stat    Stat
}

// grow replays a trail o.Grow times larger (as many more files of the same size) and
// measures its peak RSS, to show memory does not grow with the trail.
func (o Options) grow(ctx context.Context, detector string) (*Grown, error) {
	c := o.Trail
	c.Records *= o.Grow
	c.Files *= o.Grow
	trail := filepath.Join(o.Dir, fmt.Sprintf("trail-x%d", o.Grow))
	if _, err := ensureTrail(ctx, trail, c, o.Workers, o.Log); err != nil {
		return nil, err
	}
	v := variant{name: "replay", cmd: func() *exec.Cmd {
		return exec.Command(detector, "replay", "--format", "json", "--workers", strconv.Itoa(o.Workers), trail)
	}}
	var samples []Sample
	for run := 1; run <= 3; run++ {
		fmt.Fprintf(o.Log, "x%d trail, run %d/3: replay ...", o.Grow, run)
		s, err := v.measure(c.Records)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, " %v\n", s.Wall.Round(time.Millisecond))
		samples = append(samples, s)
	}
	return &Grown{Factor: o.Grow, Records: int64(c.Records), Stat: summarize(samples, 1)}, nil
}

// Machine describes where the benchmark ran.
type Machine struct {
	CPUs      int
	CPUModel  string
	MemoryMB  int64
	GoVersion string
	Kernel    string
	LoadStart string // load average when the run started (other work on the machine)
}

func describeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				m.MemoryMB = kb / 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// loadAverage is the 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
