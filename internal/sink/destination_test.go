package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

// postSender is a destination written with no knowledge of internal/delivery: it POSTs
// each alert and fails the whole call on any error, as a new sink (a webhook) would.
type postSender struct{ url string }

func (p postSender) Send(ctx context.Context, alerts []*alert.Alert) error {
	for _, a := range alerts {
		b, _ := json.Marshal(a)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(b))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
		}
	}
	return nil
}

// TestMultiRetriesOnlyFailedDestinations: SQS (moto) and a webhook (loopback) behind one
// Multi. The webhook fails: the alert is recorded delivered to sqs and failed at the
// webhook, and the error names the webhook only. The retry, given what was delivered,
// sends to the webhook only: SQS does not get the alert twice.
func TestMultiRetriesOnlyFailedDestinations(t *testing.T) {
	cfg := motoConfig(t)
	c := sqs.NewFromConfig(cfg)
	url, _ := createQueue(t, c, "triage")
	var down atomic.Bool
	down.Store(true)
	var posts atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		posts.Add(1)
	}))
	defer hook.Close()
	m := &Multi{Sinks: []Named{{"sqs", NewSQS(c, url)}, {"webhook", postSender{hook.URL}}}}
	a := testAlert(strings.Repeat("a", 32))

	tr := delivery.NewTracker(nil)
	ctx := delivery.Within(delivery.WithTracker(context.Background(), tr), "default")
	err := m.Send(ctx, []*alert.Alert{a})
	if err == nil || !strings.Contains(err.Error(), "sink webhook: webhook: HTTP 503") || strings.Contains(err.Error(), "sink sqs") {
		t.Fatalf("err = %v", err)
	}
	if !slices.Equal(tr.Delivered(a.ID), []string{"default/sqs"}) || !slices.Equal(tr.Failed(a.ID), []string{"default/webhook"}) {
		t.Fatalf("delivered %v failed %v", tr.Delivered(a.ID), tr.Failed(a.ID))
	}
	if n := len(drain(t, c, url)); n != 1 {
		t.Fatalf("%d messages in the queue", n)
	}

	down.Store(false)
	retry := delivery.NewTracker(map[string][]string{a.ID: tr.Delivered(a.ID)})
	ctx = delivery.Within(delivery.WithTracker(context.Background(), retry), "default")
	if err := m.Send(ctx, []*alert.Alert{a}); err != nil {
		t.Fatal(err)
	}
	if n := len(drain(t, c, url)); n != 0 || posts.Load() != 1 || retry.Skipped() != 1 {
		t.Fatalf("retry: %d messages re-sent to sqs, %d webhook posts, %d skipped", n, posts.Load(), retry.Skipped())
	}
}
