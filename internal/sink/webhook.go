package sink

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
)

// Signed webhooks.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">".
	SignatureHeader = "X-Trailhound-Signature"
	// AlertIDHeader carries the alert id, for receivers that deduplicate before parsing.
	AlertIDHeader = "X-Trailhound-Alert-Id"
	// SignatureTolerance is how old (or how far ahead) a signature's time may be before
	// VerifySignature rejects it as a replay.
	SignatureTolerance = 5 * time.Minute
)

// Webhook POSTs each alert's Alert v1 JSON to a URL, signed with HMAC-SHA256 under a key held
// in a Credential: X-Trailhound-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">. Every attempt is signed afresh, so a retry is not rejected as a replay. See
// VerifySignature for the receiver's side.
type Webhook struct {
	url     *url.URL
	key     Credential
	client  *http.Client
	backoff Backoff
	now     func() time.Time
}

// NewWebhook returns a sink posting to rawURL (https, or http to a loopback address) signed
// with the key in key.
func NewWebhook(rawURL string, key Credential) (*Webhook, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("webhook URL: %w", err)
	}
	return &Webhook{url: u, key: key, client: newHTTPClient(), backoff: HTTPBackoff, now: time.Now}, nil
}

// Send posts one request per alert.
func (w *Webhook) Send(ctx context.Context, alerts []*alert.Alert) error {
	return sendEach(alerts, "webhook", func(a *alert.Alert) error {
		body, err := marshalAlert(a)
		if err != nil {
			return err
		}
		return withCredential(ctx, w.key, func(key string) error {
			return post(ctx, w.client, w.backoff, func(ctx context.Context) (*http.Request, error) {
				req, err := newJSONRequest(ctx, w.url, body)
				if err != nil {
					return nil, err
				}
				req.Header.Set(SignatureHeader, Sign([]byte(key), w.now(), body))
				req.Header.Set(AlertIDHeader, a.ID)
				return req, nil
			})
		})
	})
}

// Sign returns the X-Trailhound-Signature value for body at time t.
func Sign(key []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(key, ts, body))
}

func mac(key []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors VerifySignature returns.
var (
	ErrSignatureMissing = errors.New("no or malformed signature header")
	ErrSignatureExpired = errors.New("signature time outside the tolerance (a replay, or a clock far off)")
	ErrSignatureInvalid = errors.New("signature does not match the body")
)

// VerifySignature checks an X-Trailhound-Signature header against the raw request body, as a
// receiver must before trusting it: the HMAC-SHA256 of "<t>.<body>" under key must equal one
// of the header's v1 values (compared in constant time; several v1 values allow a key
// rotation), and t must be within tolerance of now (SignatureTolerance), so a captured request
// replayed later is refused. Receivers should also deduplicate by alert id.
func VerifySignature(key []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil && len(b) == sha256.Size {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignatureMissing
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureExpired
	}
	want := mac(key, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrSignatureInvalid
}
