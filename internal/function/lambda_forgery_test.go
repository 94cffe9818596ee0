package function

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/obs"
	"github.com/trailhound/trailhound/internal/setup"
	"github.com/trailhound/trailhound/internal/state"
)

// collectSink keeps what it is sent.
type collectSink struct {
	mu     sync.Mutex
	alerts []*alert.Alert
}

func (c *collectSink) Send(_ context.Context, as []*alert.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append(c.alerts, as...)
	return nil
}

// TestLambdaRejectsForgedEvents: an event anyone in a member account could put on the bus -
// "AWS API Call via CloudTrail" under a made-up source, or under another service's AWS
// source, or for another account - raises no alert: it is counted as rejected
// (forged_envelope), logged as a possible forgery without the event's content, and failed
// so it lands in a DLQ. A bare record (no envelope) is rejected too (unenveloped). The real
// event raises its CRITICAL/HIGH alert.
func TestLambdaRejectsForgedEvents(t *testing.T) {
	ctx := context.Background()
	eng, err := setup.LoadEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := fixture(t, "updateaccesskey-active-other-user.json", "", "")
	rec["userAgent"] = "forgery-marker-91c2"
	real := eventBridgeEvent(t, rec)
	forge := func(edit func(map[string]any)) []byte {
		var ev map[string]any
		if err := json.Unmarshal(real, &ev); err != nil {
			t.Fatal(err)
		}
		edit(ev)
		return []byte(mustJSON(t, ev))
	}
	cases := []struct {
		name    string
		payload []byte
		reason  string
	}{
		{"custom-source", forge(func(ev map[string]any) { ev["source"] = "com.attacker" }), "forged_envelope"},
		{"no-source", forge(func(ev map[string]any) { delete(ev, "source") }), "forged_envelope"},
		{"other-aws-source", forge(func(ev map[string]any) { ev["source"] = "aws.lambda" }), "forged_envelope"},
		{"other-account", forge(func(ev map[string]any) { ev["account"] = "999988887777" }), "forged_envelope"},
		{"bare-record", []byte(mustJSON(t, rec)), "unenveloped"},
		{"sqs-bare-record", sqsBatchPayload(t, map[string]string{"m-1": mustJSON(t, rec)}), "unenveloped"},
		{"sqs-forged", sqsBatchPayload(t, map[string]string{"m-1": string(forge(func(ev map[string]any) { ev["source"] = "custom.iam" }))}), "forged_envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &collectSink{}
			var logs, metrics bytes.Buffer
			h := &lambdaHandler{engine: eng, sink: sink, idempotency: state.NewMemory(), windows: state.NewMemoryWindows(),
				log: obs.NewLogger(&logs, 0), metrics: &metrics, now: time.Now}
			resp, err := h.Handle(ctx, c.payload)
			if strings.HasPrefix(c.name, "sqs-") {
				if !strings.Contains(mustJSON(t, resp), `"itemIdentifier":"m-1"`) {
					t.Errorf("batch response %s does not fail m-1", mustJSON(t, resp))
				}
			} else if err == nil {
				t.Errorf("the invocation succeeded; a rejected event must fail (to its DLQ)")
			}
			if len(sink.alerts) != 0 {
				t.Errorf("%d alerts raised from a forged event", len(sink.alerts))
			}
			if !strings.Contains(logs.String(), "possible forgery") || !strings.Contains(logs.String(), `"reason":"`+c.reason+`"`) {
				t.Errorf("no possible-forgery log line with reason %s:\n%s", c.reason, logs.String())
			}
			if strings.Contains(logs.String(), "forgery-marker-91c2") {
				t.Errorf("the log carries the event's content:\n%s", logs.String())
			}
			if !strings.Contains(metrics.String(), `"rejected":1`) {
				t.Errorf("no rejected metric:\n%s", metrics.String())
			}
		})
	}
	sink := &collectSink{}
	h := &lambdaHandler{engine: eng, sink: sink, idempotency: state.NewMemory(), windows: state.NewMemoryWindows(),
		log: obs.NewLogger(&bytes.Buffer{}, 0), metrics: &bytes.Buffer{}, now: time.Now}
	if _, err := h.Handle(ctx, real); err != nil || len(sink.alerts) == 0 {
		t.Fatalf("the real event: err %v, %d alerts; want its alert", err, len(sink.alerts))
	}
}
