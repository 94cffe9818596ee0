// Package testutil holds helpers shared by trailhound's tests: locating the shared corpus of
// real CloudTrail records and starting the real tools the tests run against (moto_server,
// cfn-lint, the AWS CLI). A missing tool skips the test with a visible reason, except under
// CI=true, where it fails: CI must never go green by skipping.
package testutil

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test, or fails it under CI, because something it needs is missing.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("required under CI=true: %s", msg)
	}
	t.Skipf("skipped: %s", msg)
}

// ModuleRoot returns the directory holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test directory")
		}
		dir = parent
	}
}

// CorpusEnv names the environment variable holding the corpus directory; the default is
// ../shared/corpus beside the repository.
const CorpusEnv = "TRAILHOUND_CORPUS"

// CorpusDir returns the directory of real CloudTrail records: events/ in the corpus directory
// ($TRAILHOUND_CORPUS, default ../shared/corpus beside the repository).
func CorpusDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv(CorpusEnv)
	if root == "" {
		root = filepath.Join(ModuleRoot(t), "..", "shared", "corpus")
	}
	dir := filepath.Join(root, "events")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		Unavailable(t, "corpus records %s not found (set %s to the corpus directory, the one holding events/)", dir, CorpusEnv)
	}
	return dir
}

// CorpusFiles returns the sorted paths of every corpus record file.
func CorpusFiles(t testing.TB) []string {
	t.Helper()
	dir := CorpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatalf("glob corpus: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("corpus directory %s holds no *.json files", dir)
	}
	sort.Strings(files)
	return files
}

// NeedTool returns the path of an executable, or skips (fails under CI) when it is absent.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s not on PATH", name)
	}
	return p
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Moto is a running moto_server.
type Moto struct {
	Endpoint string // http://127.0.0.1:PORT
	cmd      *exec.Cmd
}

// StartMoto starts moto_server on a free loopback port, waits until it answers, and stops it
// when the test (or benchmark) ends. It also sets the AWS_* environment for the test so the
// SDK and the AWS CLI talk to it with dummy credentials in us-east-1.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	bin := NeedTool(t, "moto_server")
	port := FreePort(t)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logPath := filepath.Join(t.TempDir(), "moto.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("moto log: %v", err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_, _ = cmd.Process.Wait()
		logFile.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not listen on %d within 30s; log:\n%s", port, tail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for k, v := range m.Env() {
		t.Setenv(k, v)
	}
	return m
}

// Env is the environment that points the AWS SDK and CLI at this moto_server.
func (m *Moto) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":            m.Endpoint,
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "testing",
		"AWS_DEFAULT_REGION":          "us-east-1",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
}

// Environ returns os.Environ() with this moto_server's variables set, for child processes.
func (m *Moto) Environ() []string {
	env := os.Environ()
	for k, v := range m.Env() {
		env = append(env, k+"="+v)
	}
	return env
}

func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > 40 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// LambdaCheckEnv names the environment variable (set to 1 by `make lambda-check`) that turns
// on the checks building the Lambda function exactly as deploy/build.sh builds it: its own
// compile of every dependency (other flags, other platforms), minutes on a cold build cache,
// so `go test ./...` leaves them to that target, which .ci/run runs with its own timeout.
const LambdaCheckEnv = "TRAILHOUND_LAMBDA_CHECK"

// LambdaCheck reports whether the deploy/build.sh checks are on (LambdaCheckEnv=1).
func LambdaCheck() bool { return os.Getenv(LambdaCheckEnv) == "1" }

// NeedLambdaCheck skips the test, with the reason and the way to run it, unless the
// deploy/build.sh checks are on. It skips under CI=true too: .ci/run runs them as their own
// step (make lambda-check).
func NeedLambdaCheck(t testing.TB) {
	t.Helper()
	if !LambdaCheck() {
		t.Skipf("skipped: builds the Lambda function with deploy/build.sh (its own compile of every dependency, minutes on a cold cache); run it with `make lambda-check` (%s=1)", LambdaCheckEnv)
	}
}
