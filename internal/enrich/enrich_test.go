package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/trailhound/trailhound/internal/rule"
)

func TestLookupNamesMatchTheRuleContract(t *testing.T) {
	var contract []string
	for n := range rule.EnrichNames {
		contract = append(contract, n)
	}
	sort.Strings(contract)
	if got := Names(); fmt.Sprint(got) != fmt.Sprint(contract) {
		t.Fatalf("enrich knows %v, rule metadata accepts %v", got, contract)
	}
	// Each lookup <subject>_<name> fills input.enrichment.<subject>.<name>: set every field
	// of a Subject and check the JSON key each lookup's setter writes.
	for _, name := range Names() {
		subject, key, ok := Path(name)
		if !ok || name != subject+"_"+key {
			t.Fatalf("Path(%s) = %s, %s", name, subject, key)
		}
		s := &Subject{}
		registry[name].set(s, sample[key])
		b, _ := json.Marshal(s)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if _, ok := m[key]; !ok {
			t.Errorf("lookup %s did not fill %s.%s: %s", name, subject, key, b)
		}
	}
	if _, _, ok := Path("target_password"); ok {
		t.Fatal("unknown lookup has a path")
	}
}

var sample = map[string]any{
	"access_keys": &AccessKeys{}, "access_key_last_used": &AccessKeyLastUsed{}, "mfa": &MFA{},
	"login_profile": &LoginProfile{}, "groups_policies": &GroupsPolicies{}, "tags": &Tags{},
}

func TestAllowsAll(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`:                                         true,
		`{"Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"*"},{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}`:      true,
		`{"Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`: true,
		url.PathEscape(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`):                                                true,
		`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`:                                                                 false,
		`{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`:                                                            false,
		`{"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket/*"}}`:                                            false,
		`{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`:                                                         false,
		`{"Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:s3:::secret"}}`:                                           false,
		`not json`: false,
		``:         false,
	} {
		if got := allowsAll(doc); got != want {
			t.Errorf("allowsAll(%s) = %v, want %v", doc, got, want)
		}
	}
}

func TestRenderAgesAtEventTime(t *testing.T) {
	ref := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	keys := []rawKey{
		{ID: "AKIAOLD", Status: "Inactive", Created: ref.Add(-415*24*time.Hour - time.Hour)},
		{ID: "AKIANEW", Status: "Active", Created: ref.Add(time.Hour)}, // created after the event
	}
	ak := renderAccessKeys(keys, "AKIAOLD", ref)
	if len(ak.Keys) != 2 || ak.Keys[0].AgeDays != 415 || ak.Keys[1].AgeDays != -1 || ak.OldestAgeDays != 415 {
		t.Fatalf("keys %+v", ak)
	}
	if ak.EventKey == nil || ak.EventKey.AccessKeyID != "AKIAOLD" || ak.EventKey.Status != "Inactive" {
		t.Fatalf("event key %+v", ak.EventKey)
	}
	if ak := renderAccessKeys(nil, "AKIAOLD", ref); ak.EventKey != nil || ak.OldestAgeDays != -1 || ak.Keys == nil {
		t.Fatalf("no keys: %+v", ak)
	}

	never := renderLastUsed("AKIAOLD", rawLastUsed{Exists: true}, ref)
	if never.Used || never.DaysUnused != nil || never.UsedAfterEvent || !never.Exists {
		t.Fatalf("never used: %+v", never)
	}
	idle := renderLastUsed("AKIAOLD", rawLastUsed{Exists: true, LastUsed: ref.Add(-212*24*time.Hour - time.Minute), Service: "s3", Region: "eu-west-1"}, ref)
	if !idle.Used || idle.DaysUnused == nil || *idle.DaysUnused != 212 || idle.ServiceName != "s3" || idle.UsedAfterEvent {
		t.Fatalf("idle: %+v", idle)
	}
	after := renderLastUsed("AKIAOLD", rawLastUsed{Exists: true, LastUsed: ref.Add(time.Minute)}, ref)
	if !after.UsedAfterEvent || after.DaysUnused != nil {
		t.Fatalf("used after the event: %+v", after)
	}
}

func TestCache(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newCache(time.Minute, 100, clock)
	var calls atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) (any, error) {
		calls.Add(1)
		<-release
		return "v", nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.get(context.Background(), "k", fetch); v != "v" || err != nil {
				t.Errorf("get: %v %v", v, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("%d fetches for 8 concurrent gets, want 1", calls.Load())
	}
	once := func(context.Context) (any, error) { calls.Add(1); return "v", nil }
	c.get(context.Background(), "k", once)
	if calls.Load() != 1 {
		t.Fatal("fresh entry was fetched again")
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	c.get(context.Background(), "k", once)
	if calls.Load() != 2 {
		t.Fatal("expired entry was not fetched again")
	}

	boom := errors.New("throttled")
	failing := func(context.Context) (any, error) { calls.Add(1); return nil, boom }
	c.get(context.Background(), "e", failing)
	c.get(context.Background(), "e", failing)
	if calls.Load() != 4 {
		t.Fatal("a failure was cached")
	}
	gone := func(context.Context) (any, error) { calls.Add(1); return nil, errNoSuchUser }
	c.get(context.Background(), "g", gone)
	if _, err := c.get(context.Background(), "g", gone); !errors.Is(err, errNoSuchUser) || calls.Load() != 5 {
		t.Fatalf("NoSuchEntity is a fact and is cached: %v, %d calls", err, calls.Load())
	}

	small := newCache(time.Minute, 3, clock)
	for i := range 10 {
		small.get(context.Background(), fmt.Sprint(i), once)
	}
	if len(small.entries) > 3 {
		t.Fatalf("cache holds %d entries, bound 3", len(small.entries))
	}
}

func TestDescribe(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::1:user/d is not authorized\nto perform: iam:ListMFADevices"}
	if got := describe(fmt.Errorf("ListMFADevices: %w", api), "3s"); got != "AccessDenied: User: arn:aws:iam::1:user/d is not authorized to perform: iam:ListMFADevices" {
		t.Fatalf("describe api error: %q", got)
	}
	if got := describe(fmt.Errorf("op: %w", context.DeadlineExceeded), "3s"); got != "timed out after 3s" {
		t.Fatalf("describe timeout: %q", got)
	}
	if got := describe(errors.New(strings.Repeat("x", 1000)), "3s"); len(got) > maxNoteLen+3 {
		t.Fatalf("note not bounded: %d", len(got))
	}
	unparsed := &smithy.OperationError{ServiceID: "IAM", OperationName: "ListMFADevices", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}},
			Err: &smithy.GenericAPIError{Code: "UnknownError", Message: "UnknownError"}}}}
	if got := describe(unparsed, "3s"); got != "UnknownError: UnknownError (HTTP 403)" {
		t.Fatalf("describe unparsed error: %q", got)
	}
	if !isNoSuchEntity(&smithy.GenericAPIError{Code: "NoSuchEntity"}) || isNoSuchEntity(api) {
		t.Fatal("isNoSuchEntity")
	}
}
