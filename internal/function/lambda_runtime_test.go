package function

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/testutil"
)

// This file holds the test side of the Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): a server that hands
// invocations to the real bootstrap binary and collects its answers, and the helpers that
// build and start that binary.

const testFunctionARN = "arn:aws:lambda:us-east-1:123456789012:function:trailhound-detector"

// invokeResult is what the function posted for one invocation.
type invokeResult struct {
	Body  []byte
	Error bool // posted to .../error instead of .../response
	At    time.Time
}

// runtimeAPI serves GET /2018-06-01/runtime/invocation/next, POST .../{id}/response,
// POST .../{id}/error and POST /2018-06-01/runtime/init/error.
type runtimeAPI struct {
	addr    string // host:port, the value of AWS_LAMBDA_RUNTIME_API
	pending chan pendingInvoke
	srv     *http.Server

	mu        sync.Mutex
	waiting   map[string]chan invokeResult
	initError []byte
	seq       int
}

type pendingInvoke struct {
	id      string
	payload []byte
}

func startRuntimeAPI(t testing.TB) *runtimeAPI {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &runtimeAPI{addr: l.Addr().String(), pending: make(chan pendingInvoke), waiting: map[string]chan invokeResult{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, req *http.Request) { r.result(w, req, false) })
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, req *http.Request) { r.result(w, req, true) })
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.initError = b
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	r.srv = &http.Server{Handler: mux}
	go func() { _ = r.srv.Serve(l) }()
	t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

// next blocks until the test invokes the function (or the client goes away).
func (r *runtimeAPI) next(w http.ResponseWriter, req *http.Request) {
	select {
	case inv := <-r.pending:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(5*time.Minute).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", testFunctionARN)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-req.Context().Done():
	}
}

func (r *runtimeAPI) result(w http.ResponseWriter, req *http.Request, isErr bool) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	ch := r.waiting[req.PathValue("id")]
	r.mu.Unlock()
	if ch == nil {
		http.Error(w, "unknown request id", http.StatusBadRequest)
		return
	}
	ch <- invokeResult{Body: b, Error: isErr, At: time.Now()}
	w.WriteHeader(http.StatusAccepted)
}

// invoke hands payload to the function and waits for its answer.
func (r *runtimeAPI) invoke(t testing.TB, payload []byte, timeout time.Duration) invokeResult {
	t.Helper()
	r.mu.Lock()
	r.seq++
	id := fmt.Sprintf("req-%04d", r.seq)
	ch := make(chan invokeResult, 1)
	r.waiting[id] = ch
	r.mu.Unlock()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r.pending <- pendingInvoke{id: id, payload: payload}:
	case <-timer.C:
		t.Fatalf("invocation %s: the function did not ask for it within %v (init error: %s)", id, timeout, r.initErr())
	}
	select {
	case res := <-ch:
		return res
	case <-timer.C:
		t.Fatalf("invocation %s: no answer within %v", id, timeout)
	}
	return invokeResult{}
}

func (r *runtimeAPI) initErr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(r.initError)
}

// bootstraps are the Lambda binaries this test process built, by kind, each built once.
var bootstraps sync.Map // string -> *bootstrapBuild

type bootstrapBuild struct {
	once sync.Once
	path string
	err  error
}

// buildBootstrap builds the real Lambda binary once per test binary, into a temporary
// directory, and returns its path. It is cmd/bootstrap (tag lambda.norpc: the function alone,
// as deployed), for the host platform, built:
//   - under `make lambda-check` (testutil.LambdaCheck), by deploy/build.sh -host with the
//     symbol table kept (TestLambdaBuildLinksEveryLambdaFeature reads it): the deployed
//     binary's flags, at the cost of compiling every dependency again with them;
//   - for benchmarks, by deploy/build.sh -host as deployed (stripped);
//   - otherwise with go test's own compiler flags, so every dependency comes from the build
//     cache the test binary's build just filled: only cmd/bootstrap and aws-lambda-go's
//     lambda package (lambda.norpc) are compiled, then linked. The same code as deployed; the
//     flags only change inlining, paths and symbols, which lambda-check covers.
func buildBootstrap(t testing.TB) string {
	t.Helper()
	if _, bench := t.(*testing.B); bench {
		// TRAILHOUND_BENCH_BOOTSTRAP runs the Lambda benchmarks on another build of the function
		// (deploy/build.sh -host of another commit), to compare two builds side by side.
		if path := os.Getenv("TRAILHOUND_BENCH_BOOTSTRAP"); path != "" {
			return path
		}
	}
	kind, build := "go-test-flags", func(out string) error { return buildLambdaTestFlags(out) }
	switch _, bench := t.(*testing.B); {
	case testutil.LambdaCheck():
		kind, build = "build.sh-symbols", func(out string) error { return buildLambda(out, "-ldflags=") }
	case bench:
		kind, build = "build.sh", func(out string) error { return buildLambda(out) }
	}
	v, _ := bootstraps.LoadOrStore(kind, &bootstrapBuild{})
	b := v.(*bootstrapBuild)
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "trailhound-bootstrap-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "bootstrap")
		b.err = build(b.path)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// buildLambdaTestFlags builds cmd/bootstrap into out with the compiler
// flags go test builds with (its cache entries), for the host.
func buildLambdaTestFlags(out string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "../../cmd/bootstrap")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build -tags lambda.norpc -o %s ../../cmd/bootstrap: %v\n%s", out, err, b)
	}
	return nil
}

// buildLambda runs deploy/build.sh -host out, with extra go build flags.
func buildLambda(out string, flags ...string) error {
	cmd := exec.Command("sh", append([]string{filepath.Join("..", "..", "deploy", "build.sh"), "-host", out}, flags...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("deploy/build.sh -host %s %v: %v\n%s", out, flags, err, b)
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// function is a running bootstrap process.
type function struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	started        time.Time
}

// startFunction starts the bootstrap against the runtime API with the moto environment plus
// env, and stops it (by its process group) when the test ends.
func startFunction(t testing.TB, bin string, api *runtimeAPI, moto *testutil.Moto, env map[string]string) *function {
	t.Helper()
	f := &function{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	f.cmd = exec.CommandContext(context.Background(), bin)
	f.cmd.Env = append(moto.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+api.addr,
		"AWS_LAMBDA_FUNCTION_NAME=trailhound-detector",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"_HANDLER=bootstrap",
	)
	for k, v := range env {
		f.cmd.Env = append(f.cmd.Env, k+"="+v)
	}
	f.cmd.Stdout, f.cmd.Stderr = f.stdout, f.stderr
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	f.started = time.Now()
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("start bootstrap: %v", err)
	}
	t.Cleanup(func() { f.stop() })
	return f
}

func (f *function) stop() {
	if f.cmd.Process == nil || f.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-f.cmd.Process.Pid, syscall.SIGTERM)
	_ = f.cmd.Wait()
}

// peakRSS is the stopped function's peak resident set size in bytes (Linux getrusage
// ru_maxrss), close to what Lambda reports as Max Memory Used; 0 while it runs.
func (f *function) peakRSS() int64 {
	if f.cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := f.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Maxrss) * 1024
	}
	return 0
}

// logLines returns the function's stderr (its JSON log) as lines.
func (f *function) logLines() []string {
	return strings.Split(strings.TrimSpace(f.stderr.String()), "\n")
}
