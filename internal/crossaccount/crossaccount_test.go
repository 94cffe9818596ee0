package crossaccount_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/awsenv"
	"github.com/trailhound/trailhound/internal/crossaccount"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/testutil"
	"github.com/trailhound/trailhound/rules"
)

const (
	securityAccount = "123456789012" // moto's default account: the detector's credentials
	memberAccount   = "222233334444"
	roleName        = "trailhound-enrich"
)

// actions counts the query-protocol API calls (STS, IAM) that go out through it.
type actions struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *actions) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		form, _ := url.ParseQuery(string(b))
		c.mu.Lock()
		c.n[form.Get("Action")]++
		c.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (c *actions) count(action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[action]
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// lambdaConfig is the function's SDK configuration, as Lambda mode loads it (moto's
// environment, set by StartMoto).
func lambdaConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := awsenv.Load(os.Getenv, awsenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// memberIAM is an administrator's IAM client in the member account (moto ties credentials
// from AssumeRole to the role's account), used to build the member account's users.
func memberIAM(t *testing.T, cfg aws.Config) *iam.Client {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + memberAccount + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("setup")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	return iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	})
}

func newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	p, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng, errs := engine.New(context.Background(), []*rule.Pack{p}, engine.Options{Lib: p.Lib()})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return eng
}

// updateAccessKey is alice reactivating bob's key in account.
func updateAccessKey(t *testing.T, account, target, key string) ast.Value {
	t.Helper()
	rec, _ := json.Marshal(map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": "arn:aws:iam::" + account + ":user/alice",
			"accountId": account, "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice"},
		"eventTime": time.Now().UTC().Format(time.RFC3339), "eventSource": "iam.amazonaws.com", "eventName": "UpdateAccessKey",
		"awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/1.45.11",
		"requestParameters": map[string]any{"userName": target, "accessKeyId": key, "status": "Active"},
		"responseElements":  nil, "requestID": "req", "eventID": "ev-" + account + "-" + target,
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account,
	})
	in, err := engine.ParseInput(rec)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func get(t *testing.T, en engine.Enrichment, path string) any {
	t.Helper()
	j, err := ast.JSON(en.Value())
	if err != nil {
		t.Fatal(err)
	}
	var cur any = j
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// TestMemberAccountEnrichment runs the enricher with crossaccount.Accounts against moto:
// a member account's event is looked up in the member account through the assumed role
// (one AssumeRole per account, however many lookups and events), an own-account event with
// the function's credentials, and without a role name a member account's event becomes
// notes, never lookups in the wrong account.
func TestMemberAccountEnrichment(t *testing.T) {
	testutil.StartMoto(t)
	ctx := context.Background()
	cfg := lambdaConfig(t)
	const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

	// The member account: the read-only role, trusting the detector's role, and bob, an
	// administrator with an access key and an owner tag. erin has no key.
	member := memberIAM(t, cfg)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + securityAccount + `:role/th-DetectorRole-ABC"},"Action":"sts:AssumeRole"}]}`
	must(member.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trust)}))
	must(member.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("bob@member.example")}}}))
	must(member.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAll)}))
	memberKey := aws.ToString(must(member.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey.AccessKeyId)
	must(member.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("erin")}))
	// The security account has a bob too: not an administrator, another key, no tags.
	own := iam.NewFromConfig(cfg)
	must(own.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	ownKey := aws.ToString(must(own.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey.AccessKeyId)

	traffic := &actions{n: map[string]int{}}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.HTTPClient = &http.Client{Transport: traffic} })
	accounts, err := crossaccount.New(crossaccount.Options{Config: cfg, STS: stsClient, RoleName: roleName})
	if err != nil {
		t.Fatal(err)
	}
	eng := newEngine(t)
	e, err := enrich.New(enrich.Options{Accounts: accounts, Subjects: eng})
	if err != nil {
		t.Fatal(err)
	}

	doc, notes := e.Enrich(ctx, enrich.Names(), engine.NewRuleInput(updateAccessKey(t, memberAccount, "bob", memberKey)))
	if len(notes) > 0 {
		t.Fatalf("member account event: notes %v", notes)
	}
	for path, want := range map[string]any{
		"target.exists":  true,
		"target.account": memberAccount,
		"target.access_keys.event_key.access_key_id": memberKey,
		"target.groups_policies.is_admin":            true,
		"target.tags.owner":                          "bob@member.example",
	} {
		if got := get(t, doc, path); got != want {
			t.Errorf("member account: %s = %v, want %v", path, got, want)
		}
	}
	// Another user of the same account: new IAM calls, the same session.
	doc, notes = e.Enrich(ctx, enrich.Names(), engine.NewRuleInput(updateAccessKey(t, memberAccount, "erin", "AKIAEXAMPLEERIN00001")))
	if len(notes) > 0 || get(t, doc, "target.exists") != true || get(t, doc, "target.groups_policies.is_admin") != false {
		t.Errorf("member account erin: notes %v, document %v", notes, doc)
	}
	if n := traffic.count("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole called %d times for one member account, want 1 (the session is cached)", n)
	}
	if n := traffic.count("GetCallerIdentity"); n != 1 {
		t.Errorf("GetCallerIdentity called %d times, want 1 (the own account is resolved once)", n)
	}

	// The detector's own account: its own credentials, no role.
	doc, notes = e.Enrich(ctx, enrich.Names(), engine.NewRuleInput(updateAccessKey(t, securityAccount, "bob", ownKey)))
	if len(notes) > 0 || get(t, doc, "target.access_keys.event_key.access_key_id") != ownKey || get(t, doc, "target.groups_policies.is_admin") != false {
		t.Errorf("own account: notes %v, document %v", notes, doc)
	}
	if n := traffic.count("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole called %d times after an own-account event, want still 1", n)
	}

	// No role name: the member account's event gets a note per lookup, and nothing is looked
	// up (in particular not the security account's bob).
	ownOnly, err := crossaccount.New(crossaccount.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	e2, err := enrich.New(enrich.Options{Accounts: ownOnly, Subjects: eng})
	if err != nil {
		t.Fatal(err)
	}
	doc, notes = e2.Enrich(ctx, []string{"target_access_keys", "target_mfa"}, engine.NewRuleInput(updateAccessKey(t, memberAccount, "bob", memberKey)))
	if len(notes) != 2 || !strings.Contains(notes[0], "account "+memberAccount+" is not this detector's account "+securityAccount) ||
		!strings.Contains(notes[0], "ENRICH_ROLE_NAME") || get(t, doc, "target") != nil {
		t.Errorf("no role: notes %v, document %v", notes, doc)
	}
}

// TestAssumeRoleFailureIsANote: when the member role cannot be assumed (here STS does not
// answer), every lookup of the event becomes a note naming the failure; the event is still
// evaluated by the caller.
func TestAssumeRoleFailureIsANote(t *testing.T) {
	testutil.StartMoto(t)
	cfg := lambdaConfig(t)
	dead := fmt.Sprintf("http://127.0.0.1:%d", testutil.FreePort(t))
	split := identitySplit{
		assume:   sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(dead); o.RetryMaxAttempts = 1 }), // nobody listens
		identity: sts.NewFromConfig(cfg),
	}
	accounts, err := crossaccount.New(crossaccount.Options{Config: cfg, STS: split, RoleName: roleName})
	if err != nil {
		t.Fatal(err)
	}
	e, err := enrich.New(enrich.Options{Accounts: accounts, Subjects: newEngine(t), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	doc, notes := e.Enrich(context.Background(), []string{"target_access_keys", "target_mfa"}, engine.NewRuleInput(updateAccessKey(t, memberAccount, "bob", "AKIAEXAMPLEBOB000001")))
	if len(notes) != 2 {
		t.Fatalf("notes %v, want one per lookup", notes)
	}
	for _, n := range notes {
		if !strings.HasPrefix(n, "enrichment unavailable: target_") || !strings.Contains(n, "assume arn:aws:iam::"+memberAccount+":role/"+roleName) {
			t.Errorf("note %q does not name the role that could not be assumed", n)
		}
	}
	if u := get(t, doc, "unavailable"); len(u.([]any)) != 2 {
		t.Errorf("unavailable %v", u)
	}
}

// identitySplit sends AssumeRole to one STS client and GetCallerIdentity to another.
type identitySplit struct {
	assume, identity *sts.Client
}

func (s identitySplit) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	return s.assume.AssumeRole(ctx, in, optFns...)
}

func (s identitySplit) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return s.identity.GetCallerIdentity(ctx, in, optFns...)
}

func TestNewRefusesABadRoleName(t *testing.T) {
	for _, name := range []string{"a/b", "role name", strings.Repeat("r", 65), "arn:aws:iam::1:role/x"} {
		if _, err := crossaccount.New(crossaccount.Options{RoleName: name}); err == nil {
			t.Errorf("role name %q accepted", name)
		}
	}
	if _, err := crossaccount.New(crossaccount.Options{RoleName: "trailhound-enrich-readonly"}); err != nil {
		t.Errorf("a valid role name refused: %v", err)
	}
}
