package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// This file is what the third-party HTTP destinations (PagerDuty, Slack, signed webhooks)
// share: the HTTP client, which URLs they may post to, and the retry policy for one POST.

// httpMaxResponse caps how much of a destination's response is read (for error messages).
const httpMaxResponse = 8 << 10

// httpAttemptTimeout bounds one POST; the context's deadline bounds them all.
const httpAttemptTimeout = 10 * time.Second

// HTTPBackoff is the retry policy of the HTTP destinations: up to 5 attempts, 250 ms doubling
// to 8 s with full jitter, or the destination's Retry-After when it sends one (on 429 and
// 503), never past the context's deadline.
var HTTPBackoff = Backoff{Attempts: 5, Base: 250 * time.Millisecond, Max: 8 * time.Second}

// newHTTPClient returns the client the HTTP destinations use: no redirects (a destination
// that redirects is misconfigured, and following would send the payload elsewhere), a
// per-attempt timeout, the default transport (proxy from the environment, TLS verification).
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: httpAttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ErrDestinationAuth marks a destination's 401 or 403: the credential (routing key, webhook
// URL, signing key) was refused. The sinks refresh their secret once on it.
var ErrDestinationAuth = errors.New("destination refused the credential")

// checkURL accepts an https URL, or http to a loopback address (local receivers in tests);
// hosts, when given, lists the host names allowed.
func checkURL(raw string, hosts ...string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.User != nil {
		return nil, errors.New("URL carries credentials")
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "http" && loopback(host):
		return u, nil
	case u.Scheme != "https":
		return nil, fmt.Errorf("want an https URL, got scheme %q", u.Scheme)
	case host == "":
		return nil, errors.New("URL has no host")
	}
	if len(hosts) > 0 && !loopback(host) {
		for _, h := range hosts {
			if strings.EqualFold(host, h) {
				return u, nil
			}
		}
		return nil, fmt.Errorf("host %q is not one of %v", host, hosts)
	}
	return u, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL names a URL without its path and query (a Slack webhook URL is a credential).
func redactURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + "/..."
}

// httpStatusError is a destination's answer other than 2xx.
type httpStatusError struct {
	status int
	body   string
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

func (e *httpStatusError) Unwrap() error {
	if e.status == http.StatusUnauthorized || e.status == http.StatusForbidden {
		return ErrDestinationAuth
	}
	return nil
}

// post sends one request built by build (called for every attempt, so a signature can carry
// the attempt's time) and retries network errors, 429 and 5xx under the backoff policy,
// honouring Retry-After. It gives up early when the next wait would pass ctx's deadline.
func post(ctx context.Context, client *http.Client, b Backoff, build func(context.Context) (*http.Request, error)) error {
	attempts := max(b.Attempts, 1)
	var last error
	for n := 1; ; n++ {
		req, err := build(ctx)
		if err != nil {
			return err
		}
		wait, err := postOnce(client, req)
		if err == nil {
			return nil
		}
		last = err
		var se *httpStatusError
		if errors.As(err, &se) && se.status != http.StatusTooManyRequests && se.status < 500 {
			return err // a 4xx other than 429 does not get better by retrying
		}
		if n >= attempts {
			return fmt.Errorf("after %d attempts: %w", attempts, last)
		}
		if wait <= 0 {
			wait = b.delay(n)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("gave up after %d attempts, the next in %s would pass the deadline: %w", n, wait.Round(time.Millisecond), last)
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("interrupted after %d attempts (%v): %w", n, err, last)
		}
	}
}

// postOnce sends req and returns nil for a 2xx, else the error and the Retry-After wait the
// destination asked for (0 when it did not).
func postOnce(client *http.Client, req *http.Request) (time.Duration, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", redactURL(req.URL), errors.Unwrap(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, httpMaxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	return retryAfter(resp.Header.Get("Retry-After"), time.Now()), &httpStatusError{status: resp.StatusCode, body: strings.TrimSpace(asciiLine(string(body)))}
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date. Unparseable or
// negative values are 0 (use the backoff); waits are capped at 5 minutes.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		d = time.Duration(min(s, 300)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 5*time.Minute)
}

// newJSONRequest builds a POST of body to u.
func newJSONRequest(ctx context.Context, u *url.URL, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request to %s: %w", redactURL(u), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "trailhound")
	return req, nil
}
