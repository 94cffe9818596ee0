package function

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/bundle"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/settings"
	"github.com/trailhound/trailhound/internal/team"
	"github.com/trailhound/trailhound/internal/testutil"
)

// TestLambdaTeamBundle runs the Lambda handler with RULES_BUNDLE on moto: the signed bundle
// loads at init, the broken pack in it raises a health alert on the default route, a team
// rule's alert goes to the team's queue only and a built-in one to the default queue, a
// tampered bundle is refused, and a new signed version is picked up without a restart.
func TestLambdaTeamBundle(t *testing.T) {
	env := newLambdaEnv(t)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trailhound-rules")}); err != nil {
		t.Fatal(err)
	}
	payQueue := env.createQueue(t, "payments-alerts")
	root := testutil.TeamPacks(t, func(s string) string {
		return regexp.MustCompile(`(?m)^  sqs_queue_url: .*\n  sns_topic_arn: .*$`).ReplaceAllString(s, "  sqs_queue_url: "+payQueue)
	})
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	signing, err := bundle.LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})), "")
	if err != nil {
		t.Fatal(err)
	}
	publish := func(revision string, edit func([]byte) []byte) {
		t.Helper()
		srcs, err := team.Dirs([]string{root})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := bundle.Write(&buf, srcs, bundle.WriteOptions{Revision: revision, Key: signing, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		if edit != nil {
			b = edit(b)
		}
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trailhound-rules"), Key: aws.String("teams.tar.gz"), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	publish("r1", nil)

	vars := map[string]string{
		"ALERT_QUEUE_URL":                env.triageURL,
		"STATE_TABLE":                    env.table,
		"ENRICH":                         "false",
		settings.RulesBundle.Name:        "s3://trailhound-rules/teams.tar.gz",
		settings.RulesPublicKey.Name:     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		settings.RulesReloadSeconds.Name: "1",
	}
	var logs, metrics syncBuffer
	h, err := newLambdaHandler(ctx, func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &metrics)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"msg":"rules active","revision":"revision r1, etag `) {
		t.Fatalf("no active revision logged:\n%s", logs.String())
	}
	triage := env.triageAlerts(t)
	if len(triage) != 1 || triage[0].Rule.ID != "TH-HEALTH-001" || triage[0].Rule.Team != "ledger" || !strings.Contains(triage[0].Summary, "teams/ledger") {
		t.Fatalf("health alert on the default route: %+v", triage)
	}

	var rec map[string]any
	if err := json.Unmarshal([]byte(testutil.ServiceKeyCreated), &rec); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Handle(ctx, eventBridgeEvent(t, rec)); err != nil {
		t.Fatal(err)
	}
	if got := ruleIDsOf(env.triageAlerts(t)); !slices.Equal(got, []string{"TH-IAM-003"}) {
		t.Errorf("default queue got %v, want the built-in alert only", got)
	}
	var pay []alert.Alert
	for _, m := range env.receive(t, payQueue) {
		var a alert.Alert
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &a); err != nil {
			t.Fatal(err)
		}
		pay = append(pay, a)
	}
	if got := ruleIDsOf(pay); !slices.Equal(got, []string{"PAYMENTS-001"}) {
		t.Errorf("payments queue got %v, want the team alert only", got)
	}

	// A bundle signed by another key is refused; the rules of r1 stay.
	good := signing
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	if signing, err = bundle.LoadKey(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})), ""); err != nil {
		t.Fatal(err)
	}
	publish("r2-foreign", nil)
	signing = good
	time.Sleep(1100 * time.Millisecond)
	handleAfterReload := func() {
		t.Helper()
		// The reload check runs in the background: this invocation starts it, the next one
		// sees its result.
		if _, err := h.Handle(ctx, eventBridgeEvent(t, rec)); err != nil {
			t.Fatal(err)
		}
		h.rules.Wait()
		if _, err := h.Handle(ctx, eventBridgeEvent(t, rec)); err != nil {
			t.Fatal(err)
		}
	}
	handleAfterReload()
	if l := logs.String(); !strings.Contains(l, "rules bundle refused; the last good rules stay active") || strings.Count(l, `"msg":"rules active"`) != 1 {
		t.Fatalf("foreign-signed bundle not refused:\n%s", l)
	}
	// The refusal is counted (EMF) and reported by a health alert on the default route.
	if m := metrics.String(); !strings.Contains(m, `"bundle_refused":1`) {
		t.Fatalf("no bundle_refused metric:\n%s", m)
	}
	var refusedAlert *alert.Alert
	for _, a := range env.triageAlerts(t) {
		if a.Rule.ID == "TH-HEALTH-001" && a.Title == "Rules bundle refused" {
			refusedAlert = &a
		}
	}
	if refusedAlert == nil || refusedAlert.Context["reason"] != bundle.ReasonSignature || !strings.Contains(refusedAlert.Summary, "s3://trailhound-rules/teams.tar.gz") {
		t.Fatalf("no health alert for the refused bundle: %+v", refusedAlert)
	}
	// A new signed version is picked up by the running handler.
	if err := os.WriteFile(filepath.Join(root, "payments", "service_user_deleted.rego"), []byte(serviceUserDeletedRule), 0o600); err != nil {
		t.Fatal(err)
	}
	publish("r3", nil)
	time.Sleep(1100 * time.Millisecond)
	handleAfterReload()
	if l := logs.String(); !strings.Contains(l, `"msg":"rules active","revision":"revision r3, etag `) || strings.Count(l, `"msg":"rules active"`) != 2 {
		t.Fatalf("r3 not activated:\n%s", l)
	}
	if _, err := h.Handle(ctx, eventBridgeEvent(t, userDeletedRecord(t))); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range env.receive(t, payQueue) {
		var a alert.Alert
		if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a.Rule.ID)
	}
	if !slices.Contains(got, "PAYMENTS-002") {
		t.Fatalf("the r3 rule did not raise: payments queue got %v", got)
	}
}

func ruleIDsOf(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Rule.ID)
	}
	slices.Sort(out)
	return out
}

// serviceUserDeletedRule is the rule r3 adds to the payments pack.
const serviceUserDeletedRule = `# METADATA
# title: Payments service user deleted
# custom:
#   id: PAYMENTS-002
#   severity: HIGH
#   events: [iam.amazonaws.com:DeleteUser]
#   remediation:
#     summary: Ask payments-secops.
package teams.payments.service_user_deleted

import data.teams.payments.parameters

alert contains {"msg": "payments service user deleted"} if input.requestParameters.userName in parameters.service_users
`

func userDeletedRecord(t *testing.T) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.Replace(testutil.UserDeleted, "ledger-svc", "payments-card-api", 1)), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestLambdaRulesConfigurationErrors(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	base := map[string]string{"ALERT_QUEUE_URL": "http://127.0.0.1:1/123456789012/q", "ENRICH": "false"}
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"teams dir missing": {map[string]string{settings.TeamsConfig.Name: filepath.Join(t.TempDir(), "nope")}, "TEAMS_CONFIG"},
		"bundle not s3":     {map[string]string{settings.RulesBundle.Name: "https://bucket/key"}, "RULES_BUNDLE"},
		"bad key":           {map[string]string{settings.RulesBundle.Name: "s3://b/k", settings.RulesPublicKey.Name: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"}, "RULES_PUBLIC_KEY"},
		"bad interval":      {map[string]string{settings.RulesBundle.Name: "s3://b/k", settings.RulesReloadSeconds.Name: "0"}, "RULES_RELOAD_SECONDS"},
	}
	for name, c := range cases {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range c.env {
			env[k] = v
		}
		var logs bytes.Buffer
		_, err := newLambdaHandler(context.Background(), func(k string) string { return env[k] }, obs.NewLogger(&logs, 0), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error mentioning %s", name, err, c.want)
		}
	}
}

// TestLambdaInitWithHangingBundleEndpoint: S3 accepts the connection and never answers. Init
// gives up on the bundle after RULES_FETCH_TIMEOUT_SECONDS and starts with the built-in
// rules; invocations are not held by the reload check (it runs in the background); the
// failed checks are counted (bundle_unavailable).
func TestLambdaInitWithHangingBundleEndpoint(t *testing.T) {
	env := newLambdaEnv(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
	vars := map[string]string{
		"ALERT_QUEUE_URL":                      env.triageURL,
		"STATE_TABLE":                          env.table,
		"ENRICH":                               "false",
		settings.RulesBundle.Name:              "s3://trailhound-rules/teams.tar.gz",
		settings.RulesFetchTimeoutSeconds.Name: "1",
		settings.RulesReloadSeconds.Name:       "1",
	}
	var logs, metrics syncBuffer
	type result struct {
		h   *lambdaHandler
		err error
	}
	done := make(chan result, 1)
	go func() {
		h, err := newLambdaHandler(context.Background(), func(k string) string { return vars[k] }, obs.NewLogger(&logs, 0), &metrics)
		done <- result{h, err}
	}()
	var h *lambdaHandler
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		h = r.h
	case <-time.After(2 * time.Minute):
		t.Fatalf("init waited on a hanging S3 endpoint:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "rules bundle check failed; the active rules stay") {
		t.Fatalf("no failed check logged:\n%s", logs.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(testutil.ServiceKeyCreated), &rec); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the reload interval: this invocation starts a check
	if _, err := h.Handle(context.Background(), eventBridgeEvent(t, rec)); err != nil {
		t.Fatal(err)
	}
	if got := ruleIDsOf(env.triageAlerts(t)); !slices.Equal(got, []string{"TH-IAM-003"}) {
		t.Fatalf("built-in alert not delivered while the bundle hangs: %v", got)
	}
	if m := metrics.String(); !regexp.MustCompile(`"bundle_unavailable":[1-9]`).MatchString(m) {
		t.Fatalf("init's failed check not counted:\n%s", m)
	}
}
