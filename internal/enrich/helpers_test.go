package enrich_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/event"
	"github.com/trailhound/trailhound/internal/pipeline"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/ruleset"
	"github.com/trailhound/trailhound/internal/state"
	"github.com/trailhound/trailhound/rules"
)

// iamTraffic is an http.RoundTripper that counts the IAM API calls that really go out (IAM's
// query protocol names the operation in the Action form field), optionally delaying some.
type iamTraffic struct {
	mu      sync.Mutex
	actions map[string]int
	delay   map[string]time.Duration
}

func newTraffic() *iamTraffic {
	return &iamTraffic{actions: map[string]int{}, delay: map[string]time.Duration{}}
}

func (c *iamTraffic) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	c.mu.Lock()
	c.actions[action]++
	d := c.delay[action]
	c.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	// moto wraps IAM authorisation errors in EC2's <Errors> element; IAM itself answers
	// <ErrorResponse><Error>. Unwrap it so the SDK reads the error code as it would from AWS.
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	b = bytes.Replace(bytes.Replace(b, []byte("<Errors><Error>"), []byte("<Error>"), 1), []byte("</Error></Errors>"), []byte("</Error>"), 1)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func (c *iamTraffic) reset() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.actions
	c.actions = map[string]int{}
	return out
}

func names(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// newIAM returns an IAM client for the moto StartMoto configured, through rt when not nil,
// with static credentials when key is not empty.
func newIAM(t *testing.T, rt http.RoundTripper, key, secret string) *iam.Client {
	t.Helper()
	opts := []func(*config.LoadOptions) error{}
	if key != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, secret, "")))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return iam.NewFromConfig(cfg, func(o *iam.Options) {
		if rt != nil {
			o.HTTPClient = &http.Client{Transport: rt}
		}
	})
}

// builtin loads the embedded pack and its lib modules.
func builtin(t *testing.T) (*rule.Pack, map[string]*ast.Module) {
	t.Helper()
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	lib := p.Lib()
	return p, lib
}

// newEngine compiles the built-in pack, or only the rules with the given ids.
func newEngine(t *testing.T, ids ...string) *engine.Engine {
	t.Helper()
	p, lib := builtin(t)
	if len(ids) > 0 {
		sub := &rule.Pack{Name: p.Name, Team: p.Team, Modules: map[string]*ast.Module{}}
		for name, m := range lib {
			sub.Modules[name] = m
		}
		for _, r := range p.Rules {
			for _, id := range ids {
				if r.ID == id {
					sub.Rules = append(sub.Rules, r)
					sub.Modules[r.File] = p.Modules[r.File]
				}
			}
		}
		if len(sub.Rules) != len(ids) {
			t.Fatalf("rules %v: found %d", ids, len(sub.Rules))
		}
		p = sub
	}
	eng, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: lib, Deadline: 10 * time.Minute}) // generous: no verdict depends on the machine's speed
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return eng
}

type recordingSink struct {
	mu     sync.Mutex
	alerts []*alert.Alert
}

func (s *recordingSink) Send(_ context.Context, as []*alert.Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts = append(s.alerts, as...)
	return nil
}

func newPipeline(eng *engine.Engine, e engine.Enricher, s pipeline.Sink) *pipeline.Pipeline {
	// The fixtures' events are dated days to months after the moto world was set up (key ages
	// count from the keys' real creation time), so the trusted clock is a year ahead of the
	// wall clock: no event is flagged as ahead of it.
	clock := func(event.Origin) (time.Time, string) { return time.Now().AddDate(1, 0, 0), "test clock" }
	return &pipeline.Pipeline{Rules: ruleset.FromEngine(eng), Sink: s, Enricher: e, Idempotency: state.NewMemory(), Windows: state.NewMemoryWindows(), Clock: clock}
}

// process decodes one CloudTrail record and runs it through p.
func process(t *testing.T, p *pipeline.Pipeline, raw string) pipeline.Result {
	t.Helper()
	var res pipeline.Result
	n := 0
	for rec, err := range event.RecordsBytes("test.json", []byte(raw)) {
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		res = p.Process(context.Background(), rec)
		n++
	}
	if n != 1 {
		t.Fatalf("%d records in %s", n, raw)
	}
	for _, err := range res.Errs {
		t.Errorf("record error: %v", err)
	}
	return res
}

// iamEvent is a CloudTrail record of an IAM user calling an IAM API.
type iamEvent struct {
	Name, ID         string
	Time             time.Time
	Actor, ActorKey  string
	Params           map[string]any
	ErrorCode        string
	RecipientAccount string
}

func (e iamEvent) JSON() string {
	account := e.RecipientAccount
	if account == "" {
		account = "123456789012"
	}
	rec := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLE" + strings.ToUpper(e.Actor),
			"arn": "arn:aws:iam::123456789012:user/" + e.Actor, "accountId": "123456789012",
			"accessKeyId": e.ActorKey, "userName": e.Actor,
		},
		"eventTime": e.Time.UTC().Format(time.RFC3339), "eventSource": "iam.amazonaws.com", "eventName": e.Name,
		"awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/1.45.11",
		"requestParameters": e.Params, "responseElements": nil, "requestID": "req-" + e.ID, "eventID": e.ID,
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account,
	}
	if e.ErrorCode != "" {
		rec["errorCode"] = e.ErrorCode
	}
	b, _ := json.Marshal(rec)
	return string(b)
}

// byRule groups alerts by rule id.
func byRule(as []*alert.Alert) map[string][]*alert.Alert {
	out := map[string][]*alert.Alert{}
	for _, a := range as {
		out[a.Rule.ID] = append(out[a.Rule.ID], a)
	}
	return out
}

// path reads a dotted path from an alert's context (JSON round trip, so numbers are float64).
func path(t *testing.T, a *alert.Alert, p string) any {
	t.Helper()
	b, err := json.Marshal(a.Context)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	_ = json.Unmarshal(b, &v)
	for _, k := range strings.Split(p, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("setup: %v", err))
	}
	return v
}

func astJSON(v ast.Value) (any, error) { return ast.JSON(v) }

var getenv = os.Getenv
