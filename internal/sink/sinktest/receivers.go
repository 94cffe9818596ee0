// Package sinktest runs local receivers for the third-party destinations (PagerDuty Events
// API v2, Slack incoming webhooks, signed webhooks) on loopback httptest servers, for the
// tests of internal/sink and of the Lambda function. Each receiver checks every request
// against the destination's documented payload rules and records a violation as a test
// error, answers as the real service does (202 / "ok" / 401), and can be told to fail the
// next requests (429 with Retry-After, 500, 401) to exercise retries and credential refresh.
package sinktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trailhound/trailhound/internal/sink"
)

// Failure is a scripted answer for the next request.
type Failure struct {
	Status     int
	RetryAfter string
}

// Receiver is a local destination.
type Receiver struct {
	*httptest.Server
	t        testing.TB
	mu       sync.Mutex
	fail     []Failure
	requests int
	accepted []json.RawMessage
	check    func(r *http.Request, body []byte) (int, string)
}

// URL is the receiver's URL (path included).
func (r *Receiver) URL(path string) string { return r.Server.URL + path }

// FailNext makes the next len(f) requests answer with f, in order.
func (r *Receiver) FailNext(f ...Failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = append(r.fail, f...)
}

// Requests is how many requests arrived (failed ones included).
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Accepted returns the bodies of the requests the receiver accepted.
func (r *Receiver) Accepted() []json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]json.RawMessage(nil), r.accepted...)
}

func newReceiver(t testing.TB, check func(r *http.Request, body []byte) (int, string)) *Receiver {
	rc := &Receiver{t: t, check: check}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 2<<20))
	r.mu.Lock()
	r.requests++
	var f *Failure
	if len(r.fail) > 0 {
		f = &r.fail[0]
		r.fail = r.fail[1:]
	}
	r.mu.Unlock()
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		r.t.Errorf("%s: %s with Content-Type %q, want a JSON POST", req.URL.Path, req.Method, req.Header.Get("Content-Type"))
		http.Error(w, "want a JSON POST", http.StatusBadRequest)
		return
	}
	if f != nil {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		http.Error(w, fmt.Sprintf("scripted failure %d", f.Status), f.Status)
		return
	}
	status, answer := r.check(req, body)
	if status/100 == 2 {
		r.mu.Lock()
		r.accepted = append(r.accepted, json.RawMessage(body))
		r.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// PagerDuty is an Events API v2 receiver. It accepts only events for routingKey (400
// "Invalid routing key" otherwise, as PagerDuty does), checks the documented payload rules,
// and deduplicates by dedup_key as PagerDuty does: Pages counts the distinct incidents.
type PagerDuty struct {
	*Receiver
	mu         sync.Mutex
	routingKey string
	incidents  map[string]int // dedup_key -> triggers
}

// NewPagerDuty starts a PagerDuty receiver accepting routingKey.
func NewPagerDuty(t testing.TB, routingKey string) *PagerDuty {
	p := &PagerDuty{routingKey: routingKey, incidents: map[string]int{}}
	p.Receiver = newReceiver(t, p.check)
	return p
}

// SetRoutingKey changes the key the receiver accepts (a rotated integration key).
func (p *PagerDuty) SetRoutingKey(k string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.routingKey = k
}

// Pages is the number of distinct incidents triggered (one per dedup_key).
func (p *PagerDuty) Pages() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.incidents)
}

// Triggers is how many trigger events arrived for dedupKey.
func (p *PagerDuty) Triggers(dedupKey string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.incidents[dedupKey]
}

var pdSeverities = map[string]bool{"critical": true, "error": true, "warning": true, "info": true}

func (p *PagerDuty) check(_ *http.Request, body []byte) (int, string) {
	t := p.t
	if len(body) > 512<<10 {
		t.Errorf("pagerduty: event of %d bytes, over the 512 KB limit", len(body))
		return 400, `{"status":"invalid event","message":"Event object is invalid","errors":["too large"]}`
	}
	var ev struct {
		RoutingKey  string `json:"routing_key"`
		EventAction string `json:"event_action"`
		DedupKey    string `json:"dedup_key"`
		Payload     *struct {
			Summary       string          `json:"summary"`
			Source        string          `json:"source"`
			Severity      string          `json:"severity"`
			Timestamp     string          `json:"timestamp"`
			Component     string          `json:"component"`
			Group         string          `json:"group"`
			Class         string          `json:"class"`
			CustomDetails json.RawMessage `json:"custom_details"`
		} `json:"payload"`
		Links []struct {
			Href string `json:"href"`
			Text string `json:"text"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Errorf("pagerduty: not JSON: %v", err)
		return 400, `{"status":"invalid event"}`
	}
	p.mu.Lock()
	key := p.routingKey
	p.mu.Unlock()
	if ev.RoutingKey != key {
		return 400, `{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key"]}`
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if ev.EventAction != "trigger" {
		bad("event_action %q, want trigger", ev.EventAction)
	}
	if ev.DedupKey == "" || len(ev.DedupKey) > 255 {
		bad("dedup_key %q: want the alert id", ev.DedupKey)
	}
	if ev.Payload == nil {
		bad("no payload")
	} else {
		pl := ev.Payload
		if n := utf8.RuneCountInString(pl.Summary); n == 0 || n > 1024 {
			bad("payload.summary of %d characters, want 1 to 1024", n)
		}
		if pl.Source == "" {
			bad("payload.source empty")
		}
		if !pdSeverities[pl.Severity] {
			bad("payload.severity %q, want critical, error, warning or info", pl.Severity)
		}
		if _, err := time.Parse(time.RFC3339, pl.Timestamp); pl.Timestamp != "" && err != nil {
			bad("payload.timestamp %q is not ISO 8601: %v", pl.Timestamp, err)
		}
		if pl.Component == "" || pl.Group == "" || pl.Class == "" {
			bad("component %q, group %q, class %q: want all three", pl.Component, pl.Group, pl.Class)
		}
		if len(pl.CustomDetails) == 0 || pl.CustomDetails[0] != '{' {
			bad("custom_details missing or not an object")
		}
	}
	for _, l := range ev.Links {
		if u, err := url.Parse(l.Href); err != nil || u.Scheme != "https" || l.Text == "" {
			bad("link %q (%q) is not an https link with text", l.Href, l.Text)
		}
	}
	if len(errs) > 0 {
		t.Errorf("pagerduty: event breaks the Events API v2 rules: %s", strings.Join(errs, "; "))
		return 400, `{"status":"invalid event"}`
	}
	p.mu.Lock()
	p.incidents[ev.DedupKey]++
	p.mu.Unlock()
	return 202, fmt.Sprintf(`{"status":"success","message":"Event processed","dedup_key":%q}`, ev.DedupKey)
}

// Slack is an incoming-webhook receiver at path ("/services/T0/B0/secret"): other paths get
// 403 invalid_token, as a revoked webhook does. It checks Block Kit's limits and that no
// text carries a Slack control sequence (<!channel>, <@U…>, <http…|…>) or an unescaped &.
type Slack struct {
	*Receiver
	mu   sync.Mutex
	path string
}

// NewSlack starts a Slack receiver accepting posts to path.
func NewSlack(t testing.TB, path string) *Slack {
	s := &Slack{path: path}
	s.Receiver = newReceiver(t, s.check)
	return s
}

// SetPath changes the accepted path (a regenerated webhook URL).
func (s *Slack) SetPath(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.path = p
}

// controlSeq is what Slack's mrkdwn reads as a link, mention or command; entity is an escape.
var (
	controlSeq = regexp.MustCompile(`<[^>]*>`)
	rawAmp     = regexp.MustCompile(`&(?:[^a-z]|$|[a-z]+[^a-z;])`)
)

func (s *Slack) check(r *http.Request, body []byte) (int, string) {
	s.mu.Lock()
	path := s.path
	s.mu.Unlock()
	if r.URL.Path != path {
		return 403, "invalid_token"
	}
	var msg struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		s.t.Errorf("slack: not JSON: %v", err)
		return 400, "invalid_payload"
	}
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	text := func(where, v string, limit int) {
		if n := utf8.RuneCountInString(v); n == 0 || n > limit {
			bad("%s: %d characters, want 1 to %d", where, n, limit)
		}
		if m := controlSeq.FindString(v); m != "" {
			bad("%s: control sequence %q (an event value could ping or forge a link)", where, m)
		}
		if m := rawAmp.FindString(v); m != "" {
			bad("%s: unescaped & in %q", where, m)
		}
	}
	text("text", msg.Text, 40000)
	if len(msg.Blocks) == 0 || len(msg.Blocks) > 50 {
		bad("%d blocks, want 1 to 50", len(msg.Blocks))
	}
	for i, b := range msg.Blocks {
		where := fmt.Sprintf("blocks[%d] (%v)", i, b["type"])
		to := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
		verbatim := func(where string, obj map[string]any) {
			if obj["type"] == "mrkdwn" && obj["verbatim"] != true {
				bad("%s: mrkdwn without verbatim (Slack would auto-link and parse mentions)", where)
			}
		}
		verbatim(where, to(b["text"]))
		for _, key := range []string{"fields", "elements"} {
			list, _ := b[key].([]any)
			for _, e := range list {
				verbatim(where+"."+key, to(e))
			}
		}
		switch b["type"] {
		case "header":
			tx := to(b["text"])
			if tx["type"] != "plain_text" {
				bad("%s: header text must be plain_text", where)
			}
			text(where, fmt.Sprint(tx["text"]), 150)
		case "section":
			if tx := to(b["text"]); tx != nil {
				text(where, fmt.Sprint(tx["text"]), 3000)
			}
			fields, _ := b["fields"].([]any)
			if len(fields) > 10 {
				bad("%s: %d fields, want at most 10", where, len(fields))
			}
			for j, f := range fields {
				text(fmt.Sprintf("%s.fields[%d]", where, j), fmt.Sprint(to(f)["text"]), 2000)
			}
			if to(b["text"]) == nil && len(fields) == 0 {
				bad("%s: neither text nor fields", where)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				bad("%s: %d elements", where, len(els))
			}
			for _, e := range els {
				btn := to(e)
				text(where+" button", fmt.Sprint(to(btn["text"])["text"]), 75)
				if u, err := url.Parse(fmt.Sprint(btn["url"])); err != nil || u.Scheme != "https" || len(fmt.Sprint(btn["url"])) > 3000 {
					bad("%s: button url %v", where, btn["url"])
				}
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				bad("%s: %d elements, want 1 to 10", where, len(els))
			}
			for _, e := range els {
				text(where, fmt.Sprint(to(e)["text"]), 3000)
			}
		default:
			bad("%s: unexpected block type", where)
		}
	}
	if len(errs) > 0 {
		s.t.Errorf("slack: message breaks Block Kit rules: %s", strings.Join(errs, "; "))
		return 400, "invalid_blocks"
	}
	return 200, "ok"
}

// Webhook is a signed-webhook receiver: it verifies X-Trailhound-Signature with
// sink.VerifySignature under its key (401 when it fails) and deduplicates by alert id, as the
// documentation tells receivers to.
type Webhook struct {
	*Receiver
	mu   sync.Mutex
	key  []byte
	seen map[string]int
}

// NewWebhook starts a webhook receiver verifying with key.
func NewWebhook(t testing.TB, key string) *Webhook {
	w := &Webhook{key: []byte(key), seen: map[string]int{}}
	w.Receiver = newReceiver(t, w.check)
	return w
}

// SetKey changes the verification key (a rotated signing secret).
func (w *Webhook) SetKey(k string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.key = []byte(k)
}

// Deliveries is how many verified requests carried alertID.
func (w *Webhook) Deliveries(alertID string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[alertID]
}

func (w *Webhook) check(r *http.Request, body []byte) (int, string) {
	w.mu.Lock()
	key := w.key
	w.mu.Unlock()
	if err := sink.VerifySignature(key, r.Header.Get(sink.SignatureHeader), body, time.Now(), sink.SignatureTolerance); err != nil {
		return 401, fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	var a struct {
		SchemaVersion string `json:"schema_version"`
		ID            string `json:"id"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.SchemaVersion != "1" || a.ID == "" {
		w.t.Errorf("webhook: body is not an Alert v1: %v %s", err, body)
		return 400, `{"error":"not an alert"}`
	}
	if h := r.Header.Get(sink.AlertIDHeader); h != a.ID {
		w.t.Errorf("webhook: %s %q, body id %q", sink.AlertIDHeader, h, a.ID)
	}
	w.mu.Lock()
	w.seen[a.ID]++
	w.mu.Unlock()
	return 200, `{"ok":true}`
}
