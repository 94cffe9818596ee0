package rules

// TestRemediationCommandsOnMoto checks that every AWS CLI command the built-in rules render is
// a valid call with correct parameters: it runs each one with the real AWS CLI against
// moto_server, in a state where the users, keys, roles, trails, rules and functions the
// command names exist.
//
// How: each fixture in testdata/remediation (a realistic positive scenario: the moto state it
// needs, the CloudTrail records, optionally the enrichment IAM would have returned) is run on
// a fresh moto state (POST /moto-api/reset, then /moto-api/seed so the ids moto mints are the
// same every time, then the fixture's setup). Its records go through the real pipeline (the
// embedded pack loaded as the detector loads it, alert.Build filling and shell-quoting the
// templates); $KEY(user) and $KEY(user,2) in the records and enrichment are replaced by the
// access key ids moto issued. Every rendered cli entry (containment, steps, backout, in that
// order) then runs with `bash -c` and must exit 0. A command that fails with a service error
// (a previous command may have deleted what it names, or created what it creates) is run
// again on a fresh copy of the fixture's state, and if it fails there too, on a fresh copy
// after the alert's earlier state-changing commands (a backout that removes what containment
// put in place); it must then exit 0. Usage and parameter errors fail at once. Identical
// command lines are run once; two workers, each with its own moto_server, share the fixtures.
//
// Fixtures are generated in CloudTrail's documented format for moto's account 123456789012;
// moto has no root user, so the access key of the IAM user root-standin stands in for root's
// own key (the commands take the key id alone, as for root).
//
// Commands moto cannot serve are listed in motoUnserved with the reason; they are checked by
// the AWS CLI's own parsing and validation against a local endpoint that answers every
// request with an error, which proves the CLI accepted the command and built the request
// for the right operation.
//
// Finally every cli template of every rule in the pack must have been rendered by at least
// one fixture, so no command goes unchecked.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/testutil"
)

// motoUnserved lists the AWS CLI commands moto_server cannot serve, with the reason. They get
// the syntax-only check instead of a run on moto; the test fails if moto starts serving one
// (remove it here then).
var motoUnserved = []struct {
	command *regexp.Regexp
	reason  string
}{
	{regexp.MustCompile(`^aws cloudtrail lookup-events `),
		"moto does not implement CloudTrail LookupEvents (HTTP 500); it is not emulated"},
	{regexp.MustCompile(`^aws cloudtrail (start|stop)-logging --name arn:`),
		"moto's StartLogging/StopLogging look the trail up by name only (a trail ARN raises KeyError, HTTP 500); AWS accepts a name or an ARN, and the same command with a trail name runs on moto in another fixture"},
}

func unservedReason(command string) (string, bool) {
	for _, u := range motoUnserved {
		if u.command.MatchString(command) {
			return u.reason, true
		}
	}
	return "", false
}

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// motoAccount is the account moto puts resources in; fixtures use it in ARNs and account ids.
const motoAccount = "123456789012"

type remediationFixture struct {
	name       string
	Doc        string            `json:"doc"`
	Expect     []string          `json:"expect"`
	Setup      motoSetup         `json:"setup"`
	Enrichment json.RawMessage   `json:"enrichment"`
	Records    []json.RawMessage `json:"records"`
}

type motoSetup struct {
	Users []struct {
		Name           string   `json:"name"`
		Path           string   `json:"path"`
		Keys           int      `json:"keys"`
		LoginProfile   bool     `json:"login_profile"`
		Policies       []string `json:"policies"`        // managed policy ARNs attached to the user
		InlinePolicies []string `json:"inline_policies"` // inline policies allowing everything
	} `json:"users"`
	ManagedPolicies []string `json:"managed_policies"` // customer managed, allowing everything
	Groups          []struct {
		Name     string   `json:"name"`
		Policies []string `json:"policies"`
		Members  []string `json:"members"`
	} `json:"groups"`
	Roles  []string `json:"roles"`
	Trails []struct {
		Name   string `json:"name"`
		Region string `json:"region"`
	} `json:"trails"`
	Buses []struct {
		Name   string `json:"name"`
		Region string `json:"region"`
	} `json:"buses"`
	EventRules []struct {
		Name    string   `json:"name"`
		Bus     string   `json:"bus"`
		Region  string   `json:"region"`
		Targets []string `json:"targets"`
	} `json:"event_rules"`
	Functions []struct {
		Name   string `json:"name"`
		Region string `json:"region"`
	} `json:"functions"`
}

func loadRemediationFixtures(t *testing.T) []*remediationFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "remediation", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/remediation (%v)", err)
	}
	var out []*remediationFixture
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fx := &remediationFixture{name: strings.TrimSuffix(filepath.Base(f), ".json")}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(fx); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if fx.Doc == "" || len(fx.Expect) == 0 || len(fx.Records) == 0 {
			t.Fatalf("%s: a fixture needs doc, expect and records", f)
		}
		out = append(out, fx)
	}
	return out
}

// motoState is one fresh moto state built from a fixture's setup.
type motoState struct {
	keys map[string][]string // user -> access key ids, in creation order
}

var keyToken = regexp.MustCompile(`\$KEY\(([A-Za-z0-9_+=,.@-]+?)(?:,([0-9]))?\)`)

// substitute replaces $KEY(user[,n]) tokens with the ids moto issued.
func (s *motoState) substitute(t *testing.T, raw []byte) []byte {
	t.Helper()
	return keyToken.ReplaceAllFunc(raw, func(m []byte) []byte {
		sm := keyToken.FindSubmatch(m)
		n := 1
		if len(sm[2]) > 0 {
			n = int(sm[2][0] - '0')
		}
		keys := s.keys[string(sm[1])]
		if n < 1 || n > len(keys) {
			t.Fatalf("%s: the setup gives %s %d key(s)", m, sm[1], len(keys))
		}
		return []byte(keys[n-1])
	})
}

// motoClient holds SDK clients for setting up state; CloudTrail and Lambda, whose SDKs the
// module does not use, are set up through their JSON APIs.
type motoClient struct {
	endpoint string
	http     *http.Client
}

func (m *motoClient) post(path string) error {
	resp, err := m.http.Post(m.endpoint+path, "application/json", nil)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", path, resp.Status)
	}
	return nil
}

// api calls a moto JSON API; the Authorization header only tells moto which service and
// region are meant (moto does not check signatures).
func (m *motoClient) api(service, region, method, path, target string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, m.endpoint+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/%s/aws4_request, SignedHeaders=host, Signature=0", region, service))
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", service, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s %s %s: %s: %s", service, path, target, resp.Status, msg)
	}
	return nil
}

// fresh resets moto, seeds its id generator and builds the fixture's state. A setup call
// that fails (moto drops connections around a reset now and then) restarts it from the reset.
func (m *motoClient) fresh(t *testing.T, s motoSetup) *motoState {
	t.Helper()
	var err error
	for range 3 {
		var st *motoState
		if st, err = m.build(s); err == nil {
			return st
		}
	}
	t.Fatalf("set up moto state: %v", err)
	return nil
}

func (m *motoClient) build(s motoSetup) (*motoState, error) {
	if err := m.post("/moto-api/reset"); err != nil {
		return nil, err
	}
	if err := m.post("/moto-api/seed?a=20260301"); err != nil {
		return nil, err
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithRetryMaxAttempts(1), config.WithBaseEndpoint(m.endpoint))
	if err != nil {
		return nil, err
	}
	regional := func(region string) aws.Config {
		c := cfg.Copy()
		if region != "" {
			c.Region = region
		}
		return c
	}
	zipped, err := functionZip()
	if err != nil {
		return nil, err
	}
	st := &motoState{keys: map[string][]string{}}
	ic := iam.NewFromConfig(cfg)
	for _, name := range s.ManagedPolicies {
		if _, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(allowAll)}); err != nil {
			return nil, fmt.Errorf("create policy %s: %w", name, err)
		}
	}
	for _, u := range s.Users {
		in := &iam.CreateUserInput{UserName: aws.String(u.Name)}
		if u.Path != "" {
			in.Path = aws.String(u.Path)
		}
		if _, err := ic.CreateUser(ctx, in); err != nil {
			return nil, fmt.Errorf("create user %s: %v", u.Name, err)
		}
		for range u.Keys {
			out, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(u.Name)})
			if err != nil {
				return nil, fmt.Errorf("create key for %s: %v", u.Name, err)
			}
			st.keys[u.Name] = append(st.keys[u.Name], aws.ToString(out.AccessKey.AccessKeyId))
		}
		if u.LoginProfile {
			if _, err := ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(u.Name), Password: aws.String("Example-Passw0rd!")}); err != nil {
				return nil, fmt.Errorf("create login profile for %s: %v", u.Name, err)
			}
		}
		for _, arn := range u.Policies {
			if _, err := ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u.Name), PolicyArn: aws.String(arn)}); err != nil {
				return nil, fmt.Errorf("attach %s to %s: %v", arn, u.Name, err)
			}
		}
		for _, name := range u.InlinePolicies {
			if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(u.Name), PolicyName: aws.String(name), PolicyDocument: aws.String(allowAll)}); err != nil {
				return nil, fmt.Errorf("put %s on %s: %v", name, u.Name, err)
			}
		}
	}
	for _, g := range s.Groups {
		if _, err := ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g.Name)}); err != nil {
			return nil, fmt.Errorf("create group %s: %v", g.Name, err)
		}
		for _, arn := range g.Policies {
			if _, err := ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(g.Name), PolicyArn: aws.String(arn)}); err != nil {
				return nil, fmt.Errorf("attach %s to group %s: %v", arn, g.Name, err)
			}
		}
		for _, u := range g.Members {
			if _, err := ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(g.Name), UserName: aws.String(u)}); err != nil {
				return nil, fmt.Errorf("add %s to group %s: %v", u, g.Name, err)
			}
		}
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	roles := s.Roles
	if len(s.Functions) > 0 {
		roles = append(slices.Clone(roles), "trailhound-test-function-role")
	}
	for _, r := range roles {
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			return nil, fmt.Errorf("create role %s: %v", r, err)
		}
	}
	buckets := map[string]bool{}
	for _, tr := range s.Trails {
		bucket := "trailhound-test-logs-" + tr.Region
		if !buckets[bucket] {
			buckets[bucket] = true
			in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
			if tr.Region != "us-east-1" {
				in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(tr.Region)}
			}
			if _, err := s3.NewFromConfig(regional(tr.Region)).CreateBucket(ctx, in); err != nil {
				return nil, fmt.Errorf("create bucket %s: %v", bucket, err)
			}
		}
		if err := m.api("cloudtrail", tr.Region, "POST", "/", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.CreateTrail",
			map[string]any{"Name": tr.Name, "S3BucketName": bucket, "IsMultiRegionTrail": true, "IncludeGlobalServiceEvents": true, "EnableLogFileValidation": true}); err != nil {
			return nil, err
		}
		if err := m.api("cloudtrail", tr.Region, "POST", "/", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.StartLogging",
			map[string]any{"Name": tr.Name}); err != nil {
			return nil, err
		}
	}
	for _, b := range s.Buses {
		if _, err := eventbridge.NewFromConfig(regional(b.Region)).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(b.Name)}); err != nil {
			return nil, fmt.Errorf("create bus %s: %v", b.Name, err)
		}
	}
	for _, r := range s.EventRules {
		eb := eventbridge.NewFromConfig(regional(r.Region))
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
			Name: aws.String(r.Name), EventBusName: aws.String(r.Bus),
			EventPattern: aws.String(`{"detail-type":["AWS API Call via CloudTrail"]}`),
		}); err != nil {
			return nil, fmt.Errorf("put rule %s: %v", r.Name, err)
		}
		var targets []ebtypes.Target
		for _, id := range r.Targets {
			targets = append(targets, ebtypes.Target{Id: aws.String(id), Arn: aws.String("arn:aws:lambda:" + r.Region + ":" + motoAccount + ":function:trailhound-detector")})
		}
		if len(targets) > 0 {
			if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.Name), EventBusName: aws.String(r.Bus), Targets: targets}); err != nil {
				return nil, fmt.Errorf("put targets on %s: %v", r.Name, err)
			}
		}
	}
	for _, f := range s.Functions {
		if err := m.api("lambda", f.Region, "POST", "/2015-03-31/functions", "", map[string]any{
			"FunctionName": f.Name, "Runtime": "provided.al2023", "Handler": "bootstrap",
			"Role": "arn:aws:iam::" + motoAccount + ":role/trailhound-test-function-role",
			"Code": map[string]any{"ZipFile": zipped}, "Publish": true,
		}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// functionZip is a deployment package holding an empty bootstrap (moto never runs it).
func functionZip() ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("bootstrap")
	if err != nil {
		return nil, err
	}
	if _, err := w.Write([]byte("#!/bin/sh\n")); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// builtinEngine loads the embedded pack as the detector does (internal/setup/load.go).
func builtinEngine(t *testing.T) *engine.Engine {
	t.Helper()
	p, err := rule.Load("builtin", "builtin", "rules", FS)
	if err != nil {
		t.Fatal(err)
	}
	lib := p.Lib()
	eng, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: lib})
	if len(errs) > 0 {
		t.Fatalf("compile the pack: %v", errs)
	}
	return eng
}

type captureSink struct{ byID map[string]*alert.Alert }

func (c *captureSink) Send(_ context.Context, as []*alert.Alert) error {
	for _, a := range as {
		c.byID[a.ID] = a // an update (same id, higher dedup.count) replaces the earlier copy
	}
	return nil
}

// fixedEnrichment plays IAM: it returns the fixture's enrichment for every record.
type fixedEnrichment struct{ v ast.Value }

func (f fixedEnrichment) Enrich(context.Context, []string, engine.RuleInput) (engine.Enrichment, []string) {
	return engine.NewEnrichment(f.v), nil
}

// render runs the fixture's records, with the state's key ids, through the pipeline and
// returns the alerts, sorted by rule id.
func render(t *testing.T, eng *engine.Engine, fx *remediationFixture, st *motoState) []*alert.Alert {
	t.Helper()
	sink := &captureSink{byID: map[string]*alert.Alert{}}
	p := &pipeline.Pipeline{Rules: ruleset.FromEngine(eng), Sink: sink, OnError: func(err error) { t.Errorf("%s: pipeline: %v", fx.name, err) }}
	if len(fx.Enrichment) > 0 {
		v, err := ast.ValueFromReader(bytes.NewReader(st.substitute(t, fx.Enrichment)))
		if err != nil {
			t.Fatalf("%s: enrichment: %v", fx.name, err)
		}
		p.Enricher = fixedEnrichment{v}
	}
	records, err := json.Marshal(fx.Records)
	if err != nil {
		t.Fatal(err)
	}
	p.Run(context.Background(), event.RecordsBytes(fx.name, st.substitute(t, records)))
	out := make([]*alert.Alert, 0, len(sink.byID))
	for _, a := range sink.byID {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule.ID+out[i].ID < out[j].Rule.ID+out[j].ID })
	return out
}

// commands lists an alert's rendered cli entries in the order an analyst meets them.
func commands(a *alert.Alert) []string {
	var out []string
	for _, group := range [][]alert.Step{a.Remediation.Containment, a.Remediation.Steps, a.Remediation.Backout} {
		for _, s := range group {
			out = append(out, s.CLI...)
		}
	}
	return out
}

type cliRun struct {
	code   int
	stderr string
}

func runBash(t *testing.T, command string, env []string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", command)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run %q: %v", command, err)
		}
		code = ee.ExitCode()
	}
	return cliRun{code: code, stderr: stderr.String()}
}

var (
	// Client-side rejections by the AWS CLI: argument parsing, shorthand/JSON parsing,
	// botocore parameter validation.
	usageError   = regexp.MustCompile(`(?m)usage:|aws: error:|Unknown options|Error parsing parameter|Parameter validation failed|ParamValidation|Invalid (type|length|range|value) for parameter|Missing required parameter|Unknown parameter`)
	serviceError = regexp.MustCompile(`An error occurred \(([A-Za-z0-9.]+)\) when calling the ([A-Za-z0-9]+) operation`)
)

// operation returns "service op" of an AWS CLI command line.
func operation(command string) string {
	f := strings.Fields(command)
	if len(f) < 3 || f[0] != "aws" {
		return ""
	}
	return f[1] + " " + f[2]
}

// syntaxServer answers every request with a service error, so a command the CLI accepted
// ends in "An error occurred (SyntaxCheckOnly) when calling the <Op> operation".
func syntaxServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-ErrorType", "SyntaxCheckOnly")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"SyntaxCheckOnly","message":"trailhound test: request parsed, not served"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// cliOperationName maps "cloudtrail lookup-events" to "LookupEvents".
func cliOperationName(op string) string {
	_, verb, _ := strings.Cut(op, " ")
	var b strings.Builder
	for _, part := range strings.Split(verb, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func withEnv(env []string, kv ...string) []string {
	out := slices.Clone(env)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, kv[i]+"="+kv[i+1])
	}
	return out
}

// checker remembers which command lines were verified, and how; workers share it.
type checker struct {
	mu       sync.Mutex
	verified map[string]string // command line -> how (or "running")
	kinds    map[string]int
	calls    int // AWS CLI invocations
	total    int // rendered commands, duplicates included
	rendered map[string]map[string]bool
}

// claim reports whether command still needs checking, and marks it taken.
func (c *checker) claim(command string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, done := c.verified[command]; done {
		return false
	}
	c.verified[command] = "running"
	return true
}

func (c *checker) done(command, how string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verified[command] = how
	c.kinds[how]++
}

// worker checks fixtures on its own moto_server.
type worker struct {
	c              *checker
	moto           *motoClient
	eng            *engine.Engine
	env, syntaxEnv []string
}

func (w *worker) run(t *testing.T, command string, env []string) cliRun {
	t.Helper()
	w.c.mu.Lock()
	w.c.calls++
	w.c.mu.Unlock()
	return runBash(t, command, env)
}

// readOnly reports whether a command only reads (it need not be replayed to rebuild state).
func readOnly(command string) bool {
	_, verb, _ := strings.Cut(operation(command), " ")
	for _, p := range []string{"get-", "list-", "describe-", "lookup-", "generate-"} {
		if strings.HasPrefix(verb, p) {
			return true
		}
	}
	return false
}

// check verifies one rendered command of fx. prefix holds the commands of the same alert that
// come before it (an analyst runs them first).
func (w *worker) check(t *testing.T, fx *remediationFixture, st **motoState, where, command string, prefix []string) {
	t.Helper()
	if !w.c.claim(command) {
		return
	}
	if reason, unserved := unservedReason(command); unserved {
		op := cliOperationName(operation(command))
		r := w.run(t, command, w.syntaxEnv)
		if usageError.MatchString(r.stderr) || !strings.Contains(r.stderr, "An error occurred (SyntaxCheckOnly) when calling the "+op+" operation") {
			t.Errorf("%s: the AWS CLI rejected (syntax-only check; %s):\n  %s\nexit %d: %s", where, reason, command, r.code, strings.TrimSpace(r.stderr))
			return
		}
		if m := w.run(t, command, w.env); m.code == 0 {
			t.Errorf("moto now serves %q; remove its motoUnserved entry", command)
		}
		w.c.done(command, "syntax-only")
		return
	}
	r := w.run(t, command, w.env)
	if r.code == 0 {
		w.c.done(command, "moto")
		return
	}
	if usageError.MatchString(r.stderr) || !serviceError.MatchString(r.stderr) {
		t.Errorf("%s: %s:\n  %s\nexit %d: %s", where, failure(r), command, r.code, strings.TrimSpace(r.stderr))
		return
	}
	// A service error: an earlier command may have removed what this one names, or made what
	// it makes. Run it on a fresh copy of the fixture's state; then on a fresh copy after the
	// commands that change state and come before it in the alert.
	first := strings.TrimSpace(r.stderr)
	for _, replay := range []bool{false, true} {
		*st = w.moto.fresh(t, fx.Setup)
		if !slices.ContainsFunc(render(t, w.eng, fx, *st), func(a *alert.Alert) bool { return slices.Contains(commands(a), command) }) {
			t.Fatalf("%s: re-rendering on fresh state changed the command %q (moto ids not deterministic?)", where, command)
		}
		how := "moto, fresh state"
		if replay {
			how = "moto, fresh state after the alert's earlier commands"
			for _, p := range prefix {
				if _, unserved := unservedReason(p); !unserved && !readOnly(p) {
					w.run(t, p, w.env)
				}
			}
		}
		if r = w.run(t, command, w.env); r.code == 0 {
			t.Logf("%s (first try: %s): %s", how, first, command)
			w.c.done(command, how)
			return
		}
	}
	t.Errorf("%s: %s, also on fresh state:\n  %s\nfirst try: %s\nlast try: exit %d: %s", where, failure(r), command, first, r.code, strings.TrimSpace(r.stderr))
}

func (w *worker) fixture(t *testing.T, fx *remediationFixture) {
	st := w.moto.fresh(t, fx.Setup)
	alerts := render(t, w.eng, fx, st)
	var got []string
	w.c.mu.Lock()
	for _, a := range alerts {
		if !slices.Contains(got, a.Rule.ID) {
			got = append(got, a.Rule.ID)
		}
		if w.c.rendered[a.Rule.ID] == nil {
			w.c.rendered[a.Rule.ID] = map[string]bool{}
		}
		for _, cmd := range commands(a) {
			w.c.rendered[a.Rule.ID][cmd] = true
			w.c.total++
		}
	}
	w.c.mu.Unlock()
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(fx.Expect)); !slices.Equal(got, want) {
		t.Fatalf("raised %v, the fixture expects %v", got, want)
	}
	for _, a := range alerts {
		cmds := commands(a)
		for i, cmd := range cmds {
			w.check(t, fx, &st, a.Rule.ID+" in "+fx.name, cmd, cmds[:i])
		}
	}
}

func failure(r cliRun) string {
	if usageError.MatchString(r.stderr) {
		return "usage or parameter error"
	}
	return "failed on moto"
}

func TestRemediationCommandsOnMoto(t *testing.T) {
	if testing.Short() && !testutil.InCI() {
		t.Skip("skipped in -short: runs the AWS CLI against moto_server (a minute or two)")
	}
	testutil.NeedTool(t, "aws")
	testutil.NeedTool(t, "bash")
	syntaxURL := syntaxServer(t)
	c := &checker{verified: map[string]string{}, kinds: map[string]int{}, rendered: map[string]map[string]bool{}}
	// The AWS CLI's start-up dominates; two workers, each with its own moto_server, keep
	// both cores of a small machine busy.
	workers := make([]*worker, min(2, max(1, runtime.NumCPU())))
	for i := range workers {
		moto := testutil.StartMoto(t)
		env := withEnv(moto.Environ(), "AWS_MAX_ATTEMPTS", "1", "AWS_RETRY_MODE", "standard", "AWS_PAGER", "")
		workers[i] = &worker{
			c: c, eng: builtinEngine(t), env: env, syntaxEnv: withEnv(env, "AWS_ENDPOINT_URL", syntaxURL),
			moto: &motoClient{endpoint: moto.Endpoint, http: &http.Client{Timeout: 60 * time.Second}},
		}
	}
	fixtures := make(chan *remediationFixture)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fx := range fixtures {
				t.Run(fx.name, func(t *testing.T) { w.fixture(t, fx) })
			}
		}()
	}
	for _, fx := range loadRemediationFixtures(t) {
		fixtures <- fx
	}
	close(fixtures)
	wg.Wait()
	for _, k := range slices.Sorted(maps.Keys(c.verified)) {
		t.Logf("checked (%s): %s", c.verified[k], k)
	}
	t.Logf("%d rendered commands, %d distinct command lines, checked with %d AWS CLI runs: %v", c.total, len(c.verified), c.calls, c.kinds)
	if t.Failed() {
		return
	}
	// Coverage: every cli template of every rule was rendered by some fixture.
	for _, r := range workers[0].eng.Rules() {
		for _, group := range [][]rule.Step{r.Remediation.Containment, r.Remediation.Steps, r.Remediation.Backout} {
			for _, s := range group {
				for _, tmpl := range s.CLI {
					if !templateRendered(tmpl, c.rendered[r.ID]) {
						t.Errorf("%s: no fixture in testdata/remediation renders the command %q", r.ID, tmpl)
					}
				}
			}
		}
	}
}

// templateRendered reports whether some rendered command is the template with its
// placeholders filled: the literal text between placeholders must match in order.
func templateRendered(tmpl string, rendered map[string]bool) bool {
	parts := regexp.MustCompile(`\{\{\s*[^{}]*?\s*\}\}`).Split(tmpl, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile("^" + strings.Join(parts, `(?:[A-Za-z0-9_@%+=:,./-]+|'(?:[^']|'\\'')*')`) + "$")
	for c := range rendered {
		if re.MatchString(c) {
			return true
		}
	}
	return false
}
