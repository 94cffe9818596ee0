package enrich_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
)

// testLookupTimeout is the lookup timeout of tests that do not test timeouts: far above what
// a lookup against moto takes, however busy the machine (enrich.DefaultTimeout is 3s).
const testLookupTimeout = time.Minute

// newEnricher returns an enricher on c with a lookup timeout (testLookupTimeout when zero).
func newEnricher(t *testing.T, eng *engine.Engine, c enrich.IAMAPI, timeout time.Duration) *enrich.Enricher {
	t.Helper()
	if timeout == 0 {
		timeout = testLookupTimeout
	}
	e, err := enrich.New(enrich.Options{IAM: c, Subjects: eng, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEnrichmentDocument runs every lookup against moto and checks the documented shape of
// input.enrichment, the admin checks (group, inline, customer managed), and the cache.
func TestEnrichmentDocument(t *testing.T) {
	w := startWorld(t)
	traffic := newTraffic()
	eng := newEngine(t)
	e := newEnricher(t, eng, newIAM(t, traffic, "", ""), 0)
	ctx := context.Background()

	doc := func(actor, actorKey string, params map[string]any, when time.Time) map[string]any {
		t.Helper()
		in, err := engine.ParseInput([]byte(iamEvent{Name: "UpdateAccessKey", ID: "e", Time: when, Actor: actor, ActorKey: actorKey, Params: params}.JSON()))
		if err != nil {
			t.Fatal(err)
		}
		en, notes := e.Enrich(ctx, enrich.Names(), engine.NewRuleInput(in))
		v := en.Value()
		if len(notes) > 0 {
			t.Fatalf("notes: %v", notes)
		}
		var m map[string]any
		b, _ := json.Marshal(must(astJSON(v)))
		_ = json.Unmarshal(b, &m)
		return m
	}
	get := func(m map[string]any, p string) any {
		var v any = m
		for _, k := range strings.Split(p, ".") {
			v = v.(map[string]any)[k]
		}
		return v
	}

	m := doc("alice", w.aliceKey, map[string]any{"userName": "bob", "accessKeyId": w.bobKey, "status": "Active"}, w.days(120))
	for p, want := range map[string]any{
		"target.user_name": "bob",
		"target.exists":    true,
		"target.access_keys.event_key.access_key_id": w.bobKey,
		"target.access_keys.event_key.age_days":      120.0,
		"target.access_keys.event_key.status":        "Active",
		"target.access_key_last_used.used":           false,
		"target.access_key_last_used.exists":         true,
		"target.mfa.enabled":                         false,
		"target.login_profile.console_access":        true,
		"target.groups_policies.is_admin":            true,
		"target.tags.owner":                          "bob@example.com",
		"target.tags.team":                           "payments",
		"actor.user_name":                            "alice",
		"actor.access_keys.event_key.access_key_id":  w.aliceKey,
		"actor.groups_policies.is_admin":             false,
		"actor.login_profile.console_access":         false,
		"reference_time":                             w.days(120).Format(time.RFC3339),
	} {
		if got := get(m, p); got != want {
			t.Errorf("%s = %v, want %v", p, got, want)
		}
	}
	if got := fmt.Sprint(get(m, "target.groups_policies.admin_reasons")); got != "[managed policy AdministratorAccess attached via group admins]" {
		t.Errorf("bob's admin reasons: %s", got)
	}
	if _, ok := m["target"].(map[string]any)["access_key_last_used"].(map[string]any)["days_unused"]; ok {
		t.Error("a never-used key has no days_unused")
	}

	first := traffic.reset()
	if len(first) == 0 {
		t.Fatal("no IAM traffic counted")
	}
	doc("alice", w.aliceKey, map[string]any{"userName": "bob", "accessKeyId": w.bobKey, "status": "Active"}, w.days(121))
	if again := traffic.reset(); len(again) != 0 {
		t.Fatalf("the same users within the TTL must come from the cache, made %v", again)
	}

	m = doc("alice", w.aliceKey, map[string]any{"userName": "erin", "accessKeyId": w.erinKey, "status": "Active"}, w.days(100))
	for p, want := range map[string]any{
		"target.access_key_last_used.used":             true,
		"target.access_key_last_used.days_unused":      100.0,
		"target.access_key_last_used.service_name":     "iam",
		"target.access_key_last_used.used_after_event": false,
		"target.mfa.enabled":                           true,
		"target.login_profile.console_access":          false,
		"target.groups_policies.is_admin":              true,
	} {
		if got := get(m, p); got != want {
			t.Errorf("erin: %s = %v, want %v", p, got, want)
		}
	}
	if got := fmt.Sprint(get(m, "target.groups_policies.admin_reasons")); got != "[inline policy everything to the user allows Action * on Resource *]" {
		t.Errorf("erin's admin reasons: %s", got)
	}
	// Dated before erin's key was used: the use is after the event.
	m = doc("alice", w.aliceKey, map[string]any{"userName": "erin", "accessKeyId": w.erinKey, "status": "Active"}, w.setup.Add(-time.Hour))
	if get(m, "target.access_key_last_used.used_after_event") != true {
		t.Errorf("erin's key used after the event: %v", get(m, "target.access_key_last_used"))
	}

	m = doc("alice", w.aliceKey, map[string]any{"userName": "frank"}, w.days(1))
	if get(m, "target.groups_policies.is_admin") != true || fmt.Sprint(get(m, "target.groups_policies.admin_reasons")) != "[managed policy full-access attached to the user]" {
		t.Errorf("frank: %v", get(m, "target.groups_policies"))
	}

	// A user that does not exist (deleted since) is a fact, not a failure.
	m = doc("alice", w.aliceKey, map[string]any{"userName": "ghost", "accessKeyId": "AKIAEXAMPLEGHOST0001"}, w.days(1))
	if get(m, "target.exists") != false || fmt.Sprint(get(m, "unavailable")) != "[]" {
		t.Errorf("ghost: %v", m["target"])
	}
	if _, ok := m["target"].(map[string]any)["mfa"]; ok {
		t.Error("ghost has MFA facts")
	}
}

// TestEnrichedAlertsOnMoto: events about users built in moto raise alerts whose context
// shows key age, last use, MFA and admin status, and a reactivated never-used key escalates
// to CRITICAL.
func TestEnrichedAlertsOnMoto(t *testing.T) {
	w := startWorld(t)
	eng := newEngine(t)
	sink := &recordingSink{}
	p := newPipeline(eng, newEnricher(t, eng, newIAM(t, nil, "", ""), 0), sink)

	// alice reactivates bob's never-used key, 120 days after it was created.
	res := process(t, p, iamEvent{Name: "UpdateAccessKey", ID: "ev-bob", Time: w.days(120), Actor: "alice", ActorKey: w.aliceKey,
		Params: map[string]any{"userName": "bob", "accessKeyId": w.bobKey, "status": "Active"}}.JSON())
	got := byRule(res.Alerts)
	dormant := got["TH-IAM-101"]
	if len(dormant) != 1 || dormant[0].Severity != "CRITICAL" {
		t.Fatalf("TH-IAM-101 (reactivated never-used key): %v", dormant)
	}
	a := dormant[0]
	if path(t, a, "never_used") != true || path(t, a, "key_age_days") != 120.0 ||
		path(t, a, "enrichment.target.access_key_last_used.used") != false ||
		path(t, a, "enrichment.target.access_keys.event_key.age_days") != 120.0 {
		t.Errorf("TH-IAM-101 context: %v", a.Context)
	}
	if !strings.Contains(a.Summary, "which had never been used (created 120 days before)") {
		t.Errorf("summary: %s", a.Summary)
	}
	priv := got["TH-IAM-103"]
	if len(priv) != 1 || priv[0].Severity != "CRITICAL" || path(t, priv[0], "target_is_admin") != true ||
		path(t, priv[0], "target_mfa_enabled") != false || path(t, priv[0], "enrichment.target.mfa.enabled") != false ||
		path(t, priv[0], "enrichment.target.groups_policies.is_admin") != true {
		t.Fatalf("TH-IAM-103 (admin without MFA): %v", priv)
	}
	// Both keys are 120 days old: bob's (reactivated) and alice's (signed the call).
	if rot := got["TH-IAM-102"]; len(rot) != 2 {
		t.Fatalf("TH-IAM-102: %d alerts", len(rot))
	}
	if base := got["TH-IAM-001"]; len(base) != 1 || path(t, base[0], "enrichment.target.access_keys.event_key.age_days") != 120.0 {
		t.Fatalf("TH-IAM-001 carries its declared enrichment: %v", base)
	}
	if len(got["TH-IAM-001"][0].Context["enrichment"].(map[string]any)) == 0 || path(t, got["TH-IAM-001"][0], "enrichment.target.mfa") != nil {
		t.Error("an alert's context.enrichment holds only the lookups its rule declared")
	}

	// alice reactivates erin's key, used once and idle for 100 days: escalated, with the last
	// use shown; erin is an administrator (inline * on *) with MFA: HIGH.
	res = process(t, p, iamEvent{Name: "UpdateAccessKey", ID: "ev-erin", Time: w.days(100), Actor: "alice", ActorKey: w.aliceKey,
		Params: map[string]any{"userName": "erin", "accessKeyId": w.erinKey, "status": "Active"}}.JSON())
	got = byRule(res.Alerts)
	if d := got["TH-IAM-101"]; len(d) != 1 || path(t, d[0], "days_unused") != 100.0 || path(t, d[0], "last_used_service") != "iam" {
		t.Fatalf("TH-IAM-101 for erin: %v", d)
	}
	if pr := got["TH-IAM-103"]; len(pr) != 1 || pr[0].Severity != "HIGH" || path(t, pr[0], "target_mfa_enabled") != true {
		t.Fatalf("TH-IAM-103 for erin: %v", pr)
	}

	// erin's key idle for only 80 days: no escalation.
	res = process(t, p, iamEvent{Name: "UpdateAccessKey", ID: "ev-erin-80", Time: w.days(80), Actor: "alice", ActorKey: w.aliceKey,
		Params: map[string]any{"userName": "erin", "accessKeyId": w.erinKey, "status": "Active"}}.JSON())
	if d := byRule(res.Alerts)["TH-IAM-101"]; len(d) != 0 {
		t.Fatalf("TH-IAM-101 at 80 days: %v", d)
	}

	// A deleted user: the alert still raises, with the fact that the user is gone.
	res = process(t, p, iamEvent{Name: "UpdateAccessKey", ID: "ev-ghost", Time: w.days(1), Actor: "alice", ActorKey: w.aliceKey,
		Params: map[string]any{"userName": "ghost", "accessKeyId": "AKIAEXAMPLEGHOST0001", "status": "Active"}}.JSON())
	base := byRule(res.Alerts)["TH-IAM-001"]
	if len(base) != 1 || path(t, base[0], "enrichment.target.exists") != false || path(t, base[0], "notes") != nil {
		t.Fatalf("ghost: %v", base)
	}
}

// TestFailedLookupsBecomeNotes: the detector's role lacks iam:ListMFADevices (a real
// AccessDenied from moto's IAM authorisation) and one lookup never answers (held until its
// timeout cancels it; the others answer well within that timeout however busy the machine);
// the alerts still raise, each failure is a note, and nothing claims the user lacks MFA.
func TestFailedLookupsBecomeNotes(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	admin := newIAM(t, nil, "", "")
	must(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("detector")}))
	must(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("detector"), PolicyName: aws.String("lookups"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListAccessKeys","iam:GetAccessKeyLastUsed","iam:GetLoginProfile","iam:ListGroupsForUser","iam:ListAttachedUserPolicies","iam:ListUserPolicies","iam:GetUserPolicy","iam:ListAttachedGroupPolicies","iam:ListGroupPolicies","iam:GetGroupPolicy","iam:GetPolicy","iam:GetPolicyVersion","iam:ListUserTags"],"Resource":"*"}]}`)}))
	k := must(admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("detector")}))
	enforceAuth(t)

	eng := newEngine(t)
	traffic := newTraffic()
	traffic.delay["GetLoginProfile"] = time.Hour // until the lookup's timeout
	sink := &recordingSink{}
	p := newPipeline(eng, newEnricher(t, eng, newIAM(t, traffic, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)), 10*time.Second), sink)
	res := process(t, p, iamEvent{Name: "UpdateAccessKey", ID: "ev-denied", Time: w.days(120), Actor: "alice", ActorKey: w.aliceKey,
		Params: map[string]any{"userName": "bob", "accessKeyId": w.bobKey, "status": "Active"}}.JSON())
	got := byRule(res.Alerts)
	if d := got["TH-IAM-101"]; len(d) != 1 || d[0].Severity != "CRITICAL" {
		t.Fatalf("the lookups that worked still escalate: %v", d)
	}
	pr := got["TH-IAM-103"]
	if len(pr) != 1 || pr[0].Severity != "HIGH" {
		t.Fatalf("admin with MFA unknown is HIGH, not CRITICAL: %v", pr)
	}
	notes := fmt.Sprint(pr[0].Context["notes"])
	for _, want := range []string{
		"enrichment unavailable: target_mfa: AccessDenied: User: arn:aws:iam::123456789012:user/detector is not authorized to perform: iam:ListMFADevices",
		"enrichment unavailable: target_login_profile: timed out after 10s",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %s\nlack %q", notes, want)
		}
	}
	if fmt.Sprint(path(t, pr[0], "enrichment.unavailable")) != "[target_login_profile target_mfa]" {
		t.Errorf("unavailable: %v", path(t, pr[0], "enrichment.unavailable"))
	}
}

// enforceAuth turns on moto's IAM authorisation for every later request.
func enforceAuth(t *testing.T) {
	t.Helper()
	endpoint := strings.TrimSuffix(getenv("AWS_ENDPOINT_URL"), "/")
	resp, err := http.Post(endpoint+"/moto-api/reset-auth", "text/plain", strings.NewReader("0"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto reset-auth: %s", resp.Status)
	}
}
