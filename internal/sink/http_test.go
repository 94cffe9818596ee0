package sink_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/sink"
	"github.com/trailhound/trailhound/internal/sink/sinktest"
)

// key is a Credential whose stored value can change (a rotated secret); reads counts reads.
type key struct {
	mu     sync.Mutex
	stored string
	cached string
	reads  int
}

func newKey(v string) *key { return &key{stored: v} }

func (k *key) rotate(v string) { k.mu.Lock(); k.stored = v; k.mu.Unlock() }

func (k *key) Value(context.Context) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cached == "" {
		k.cached = k.stored
		k.reads++
	}
	return k.cached, nil
}

func (k *key) Refresh(_ context.Context, stale string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cached == stale {
		k.cached = k.stored
		k.reads++
	}
	return k.cached, nil
}

func alertOf(id string) *alert.Alert {
	return &alert.Alert{
		SchemaVersion: alert.SchemaVersion, ID: id, CreatedAt: time.Date(2024, 5, 1, 12, 0, 1, 0, time.UTC),
		Severity: "HIGH", Title: "Access key reactivated for another user",
		Summary: "alice set access key AKIAEXAMPLEBOB000001 of bob to Active.",
		Rule: alert.Rule{ID: "TH-IAM-001", Title: "Access key reactivated", Version: "1", Team: "builtin", Severity: "HIGH",
			Attack: []string{"TA0003:T1098.001"}, References: []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"}},
		Event: alert.Event{ID: "11111111-2222-3333-4444-555555555555", Name: "UpdateAccessKey", Source: "iam.amazonaws.com",
			Time: "2024-05-01T12:00:00Z", Account: "111122223333", Region: "us-east-1", SourceIP: "203.0.113.7", UserAgent: "aws-cli/2.15.0"},
		Actor:  alert.Actor{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/alice", Name: "alice", Account: "111122223333"},
		Target: map[string]string{"user_name": "bob", "access_key_id": "AKIAEXAMPLEBOB000001"},
		Remediation: alert.Remediation{Summary: "Deactivate the key.", Containment: []alert.Step{{Title: "Deactivate the key",
			CLI: []string{"aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLEBOB000001 --status Inactive"}}}},
		Dedup: alert.Dedup{Key: id, Count: 1},
		Links: alert.Links{CloudTrailConsole: "https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/11111111-2222-3333-4444-555555555555"},
	}
}

// fastBackoff makes the HTTP sinks built after it retry without long waits.
func fastBackoff(t *testing.T) {
	old := sink.HTTPBackoff
	sink.HTTPBackoff = sink.Backoff{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}
	t.Cleanup(func() { sink.HTTPBackoff = old })
}

func TestPagerDutyTriggersOncePerAlert(t *testing.T) {
	fastBackoff(t)
	pd := sinktest.NewPagerDuty(t, "R0UTINGKEY")
	s, err := sink.NewPagerDuty(pd.URL("/v2/enqueue"), newKey("R0UTINGKEY"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sevs := map[string]string{"CRITICAL": "critical", "HIGH": "error", "MEDIUM": "warning", "LOW": "info", "INFORMATIONAL": "info"}
	var alerts []*alert.Alert
	for sev := range sevs {
		a := alertOf("id-" + strings.ToLower(sev))
		a.Severity = sev
		alerts = append(alerts, a)
	}
	if err := s.Send(ctx, alerts); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, alerts[:1]); err != nil { // a redelivery of the same alert
		t.Fatal(err)
	}
	if pd.Pages() != len(sevs) {
		t.Errorf("%d incidents, want %d (one per alert id)", pd.Pages(), len(sevs))
	}
	for _, raw := range pd.Accepted() {
		var ev struct {
			DedupKey string `json:"dedup_key"`
			Payload  struct {
				Severity      string      `json:"severity"`
				Timestamp     string      `json:"timestamp"`
				CustomDetails alert.Alert `json:"custom_details"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		a := ev.Payload.CustomDetails
		if ev.DedupKey != a.ID || ev.Payload.Severity != sevs[a.Severity] || ev.Payload.Timestamp != "2024-05-01T12:00:00Z" {
			t.Errorf("dedup_key %q severity %q timestamp %q for alert %s %s", ev.DedupKey, ev.Payload.Severity, ev.Payload.Timestamp, a.ID, a.Severity)
		}
	}
}

func TestPagerDutyTrimsToLimits(t *testing.T) {
	fastBackoff(t)
	pd := sinktest.NewPagerDuty(t, "K")
	s, err := sink.NewPagerDuty(pd.URL("/v2/enqueue"), newKey("K"))
	if err != nil {
		t.Fatal(err)
	}
	a := alertOf("big")
	a.Summary = strings.Repeat("ü", 5000)
	a.Context = map[string]any{"blob": strings.Repeat("x", 900<<10)}
	if err := s.Send(context.Background(), []*alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	got := pd.Accepted()
	if len(got) != 1 || !strings.Contains(string(got[0]), "did not fit PagerDuty") {
		t.Fatalf("want one event with the context trimmed, got %d", len(got))
	}
}

func TestPagerDutyRetriesHonouringRetryAfter(t *testing.T) {
	fastBackoff(t)
	pd := sinktest.NewPagerDuty(t, "K")
	s, _ := sink.NewPagerDuty(pd.URL("/v2/enqueue"), newKey("K"))
	pd.FailNext(sinktest.Failure{Status: 429, RetryAfter: "1"}, sinktest.Failure{Status: 502})
	start := time.Now()
	if err := s.Send(context.Background(), []*alert.Alert{alertOf("a1")}); err != nil {
		t.Fatal(err)
	}
	if pd.Requests() != 3 || pd.Pages() != 1 {
		t.Errorf("%d requests, %d pages; want 3 requests (429, 502, 202) and 1 page", pd.Requests(), pd.Pages())
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %s: Retry-After: 1 was not honoured", waited)
	}
}

func TestHTTPGivesUpAtTheDeadline(t *testing.T) {
	fastBackoff(t)
	pd := sinktest.NewPagerDuty(t, "K")
	s, _ := sink.NewPagerDuty(pd.URL("/v2/enqueue"), newKey("K"))
	pd.FailNext(sinktest.Failure{Status: 503, RetryAfter: "120"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.Send(ctx, []*alert.Alert{alertOf("a1")})
	if err == nil || !strings.Contains(err.Error(), "would pass the deadline") {
		t.Fatalf("want a give-up before the deadline, got %v", err)
	}
	var ae sink.AlertErrors
	if !errors.As(err, &ae) || len(ae.FailedIDs()) != 1 || ae.FailedIDs()[0] != "a1" {
		t.Errorf("error does not name the failed alert: %v", err)
	}
	if pd.Requests() != 1 {
		t.Errorf("%d requests, want 1", pd.Requests())
	}
}

func TestHTTPDoesNotRetryA4xx(t *testing.T) {
	fastBackoff(t)
	pd := sinktest.NewPagerDuty(t, "K")
	s, _ := sink.NewPagerDuty(pd.URL("/v2/enqueue"), newKey("WRONG"))
	if err := s.Send(context.Background(), []*alert.Alert{alertOf("a1")}); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("want HTTP 400, got %v", err)
	}
	if pd.Requests() != 1 {
		t.Errorf("%d requests for a 400, want 1", pd.Requests())
	}
}

// TestCredentialRefreshedOnAuthFailure: the destination refuses the cached credential (401 or
// 403); the sink reads the secret again and sends with the rotated value, once.
func TestCredentialRefreshedOnAuthFailure(t *testing.T) {
	fastBackoff(t)
	wh := sinktest.NewWebhook(t, "old-key")
	k := newKey("old-key")
	s, err := sink.NewWebhook(wh.URL("/hook"), k)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Send(ctx, []*alert.Alert{alertOf("a1")}); err != nil {
		t.Fatal(err)
	}
	wh.SetKey("new-key")
	k.rotate("new-key")
	if err := s.Send(ctx, []*alert.Alert{alertOf("a2")}); err != nil {
		t.Fatal(err)
	}
	if k.reads != 2 || wh.Deliveries("a2") != 1 || wh.Requests() != 3 {
		t.Errorf("reads %d, deliveries of a2 %d, requests %d; want 2 reads, 1 delivery, 3 requests (200, 401, 200)", k.reads, wh.Deliveries("a2"), wh.Requests())
	}
	// A credential that is refused and not rotated fails with ErrDestinationAuth, no loop.
	wh.SetKey("newer-key")
	err = s.Send(ctx, []*alert.Alert{alertOf("a3")})
	if !errors.Is(err, sink.ErrDestinationAuth) {
		t.Errorf("want ErrDestinationAuth, got %v", err)
	}
	if wh.Requests() != 4 {
		t.Errorf("%d requests, want 4: the refused one only (the refresh read the same value), no retry loop", wh.Requests())
	}
}

func TestSlackEscapesAttackerText(t *testing.T) {
	fastBackoff(t)
	sl := sinktest.NewSlack(t, "/services/T0/B0/abc")
	s := sink.NewSlack(newKey(sl.URL("/services/T0/B0/abc")))
	a := alertOf("a1")
	a.Title = "<!channel> key & <https://evil.example|click here>"
	a.Summary = "<@U123> set access key of <!here> to Active."
	a.Actor.ARN = "arn:aws:iam::111122223333:user/<!everyone>"
	a.Target["user_name"] = "bob&<b>"
	a.Remediation.Containment[0].CLI[0] = "aws iam update-access-key --user-name 'x>```<!channel>' --status Inactive"
	if err := s.Send(context.Background(), []*alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	got := sl.Accepted()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	body := strings.Join(texts(t, got[0]), "\n")
	for _, want := range []string{"&lt;!channel&gt;", "&amp;", "&lt;@U123&gt;", "update-access-key", "Open in CloudTrail", "a1"} {
		if !strings.Contains(body, want) {
			t.Errorf("message lacks %q:\n%s", want, body)
		}
	}
}

// texts returns every string in a JSON document, decoded.
func texts(t *testing.T, raw []byte) []string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func TestSlackWithinBlockKitLimits(t *testing.T) {
	fastBackoff(t)
	sl := sinktest.NewSlack(t, "/services/T0/B0/abc")
	s := sink.NewSlack(newKey(sl.URL("/services/T0/B0/abc")))
	a := alertOf("a1")
	a.Title = strings.Repeat("<&>", 400)
	a.Summary = strings.Repeat("a&b ", 2000)
	a.Actor.ARN = strings.Repeat("r", 5000)
	for i := 0; i < 50; i++ {
		a.Target[strings.Repeat("k", i+1)] = strings.Repeat("v&", 100)
	}
	a.Remediation.Containment[0].CLI[0] = strings.Repeat("aws iam x ", 1000)
	if err := s.Send(context.Background(), []*alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	if len(sl.Accepted()) != 1 {
		t.Fatalf("%d messages accepted", len(sl.Accepted()))
	}
}

func TestSlackRefusesNonSlackURL(t *testing.T) {
	s := sink.NewSlack(newKey("https://evil.example/services/x"))
	err := s.Send(context.Background(), []*alert.Alert{alertOf("a1")})
	if err == nil || !strings.Contains(err.Error(), "not one of") {
		t.Fatalf("want the host refused, got %v", err)
	}
	if strings.Contains(err.Error(), "/services/x") {
		t.Errorf("error leaks the webhook URL: %v", err)
	}
}

func TestSignedWebhook(t *testing.T) {
	fastBackoff(t)
	wh := sinktest.NewWebhook(t, "s3cret")
	s, err := sink.NewWebhook(wh.URL("/alerts"), newKey("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	wh.FailNext(sinktest.Failure{Status: 500})
	if err := s.Send(context.Background(), []*alert.Alert{alertOf("a1"), alertOf("a2")}); err != nil {
		t.Fatal(err)
	}
	if wh.Deliveries("a1") != 1 || wh.Deliveries("a2") != 1 {
		t.Errorf("deliveries %d %d", wh.Deliveries("a1"), wh.Deliveries("a2"))
	}
	var a alert.Alert
	if err := json.Unmarshal(wh.Accepted()[0], &a); err != nil || a.Rule.ID != "TH-IAM-001" {
		t.Errorf("body is not the alert: %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	k := []byte("s3cret")
	body := []byte(`{"schema_version":"1","id":"a1"}`)
	now := time.Unix(1_714_564_800, 0)
	sig := sink.Sign(k, now, body)
	if !strings.HasPrefix(sig, "t=1714564800,v1=") || len(sig) != len("t=1714564800,v1=")+64 {
		t.Fatalf("signature %q", sig)
	}
	other := sink.Sign([]byte("old"), now, body)
	cases := []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", sig, body, now, nil},
		{"4 minutes later", sig, body, now.Add(4 * time.Minute), nil},
		{"replayed 6 minutes later", sig, body, now.Add(6 * time.Minute), sink.ErrSignatureExpired},
		{"from the future", sig, body, now.Add(-6 * time.Minute), sink.ErrSignatureExpired},
		{"tampered body", sig, []byte(`{"schema_version":"1","id":"a2"}`), now, sink.ErrSignatureInvalid},
		{"wrong key", other, body, now, sink.ErrSignatureInvalid},
		{"rotation: two v1", other + ",v1=" + strings.SplitN(sig, "v1=", 2)[1], body, now, nil},
		{"time swapped", strings.Replace(sig, "t=1714564800", "t=1714564801", 1), body, now, sink.ErrSignatureInvalid},
		{"no header", "", body, now, sink.ErrSignatureMissing},
		{"no v1", "t=1714564800", body, now, sink.ErrSignatureMissing},
		{"short v1", "t=1714564800,v1=abcd", body, now, sink.ErrSignatureMissing},
		{"bad t", "t=x,v1=" + strings.SplitN(sig, "v1=", 2)[1], body, now, sink.ErrSignatureMissing},
	}
	for _, c := range cases {
		if err := sink.VerifySignature(k, c.header, c.body, c.at, sink.SignatureTolerance); !errors.Is(err, c.want) && err != c.want {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestHTTPDestinationURLs(t *testing.T) {
	for _, u := range []string{"http://example.com/x", "ftp://example.com", "https://user:pw@example.com/", "not a url\x00"} {
		if _, err := sink.NewWebhook(u, newKey("k")); err == nil {
			t.Errorf("webhook URL %q accepted", u)
		}
	}
	for _, u := range []string{"https://hooks.example.com/in", "http://127.0.0.1:8080/x", "http://[::1]/x"} {
		if _, err := sink.NewWebhook(u, newKey("k")); err != nil {
			t.Errorf("webhook URL %q refused: %v", u, err)
		}
	}
}
