package sink

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/trailhound/trailhound/internal/delivery"
)

// Retry policy. Two layers retry a delivery:
//
//   - The SDK retryer (Retryer) retries a whole API call that failed with throttling, a 5xx or
//     a transient network error, with exponential backoff and full jitter.
//   - Batch APIs (SQS SendMessageBatch, EventBridge PutEvents, Security Hub
//     BatchImportFindings) succeed as a call while rejecting single entries; Backoff retries
//     the entries rejected for a transient reason (throttling, internal error).
//
// Both are bounded so a delivery gives up well within the Lambda timeout (60 s in
// deploy/template.yaml), and both stop at the context's deadline: the Lambda gives each
// record of a batch a share of the invocation's remaining time. An alert that still fails
// makes Send return an error attributed to it (delivery.AlertError): the pipeline counts it,
// releases its claim with the destinations it reached, and AWS redelivers the event, whose
// retry re-sends only what failed.

// Retryer is the SDK retryer the AWS sinks are configured with: the standard retryer (which
// retries throttling, 5xx and transient connection errors with exponential backoff and full
// jitter) with 6 attempts, backoff capped at 8 s, and no client-side retry quota. The quota
// is meant for long-lived multi-tenant clients; here one process delivers a handful of alerts
// per invocation, and failing fast on an exhausted quota would turn a throttling burst into
// lost deliveries rather than slower ones.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 6
		o.MaxBackoff = 8 * time.Second
		o.RateLimiter = ratelimit.None
	})
}

// Backoff retries the entries a batch API rejected for a transient reason: exponential
// backoff from Base, capped at Max, with full jitter, for at most Attempts sends in all.
type Backoff struct {
	Attempts  int
	Base, Max time.Duration
}

// DefaultBackoff is the entry retry policy of the AWS sinks: 5 sends, 100 ms doubling to 4 s.
var DefaultBackoff = Backoff{Attempts: 5, Base: 100 * time.Millisecond, Max: 4 * time.Second}

// delay is the full-jitter wait before retry number n (1-based).
func (b Backoff) delay(n int) time.Duration {
	d := b.Base << (n - 1)
	if d <= 0 || d > b.Max {
		d = b.Max
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d) + 1
}

// entryResult is what one batch call said about its entries: those to send again (rejected
// for a transient reason) and the error for those that failed for good.
type entryResult[T any] struct {
	retry []T
	err   error
}

// sendEntries sends entries with send, resending the ones it marks for retry under the
// backoff policy. It returns the permanent failures joined with the entries still failing
// after the last attempt, each attributed to its alert (what names an entry's alert id;
// delivery.AlertError), so the others count as delivered.
func sendEntries[T any](ctx context.Context, b Backoff, entries []T, what func(T) string, send func(context.Context, []T) entryResult[T]) error {
	attempts := max(b.Attempts, 1)
	var errs []error
	pending := entries
	for n := 1; len(pending) > 0; n++ {
		res := send(ctx, pending)
		if res.err != nil {
			errs = append(errs, res.err)
		}
		pending = res.retry
		if len(pending) == 0 {
			break
		}
		if n >= attempts {
			names := make([]string, len(pending))
			for i, e := range pending {
				names[i] = what(e)
			}
			errs = append(errs, delivery.ForAlerts(names, fmt.Errorf("still rejected after %d attempts", attempts)))
			break
		}
		if err := sleep(ctx, b.delay(n)); err != nil {
			names := make([]string, len(pending))
			for i, e := range pending {
				names[i] = what(e)
			}
			errs = append(errs, delivery.ForAlerts(names, fmt.Errorf("retry interrupted: %w", err)))
			break
		}
	}
	return errors.Join(errs...)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// transientCode reports whether a per-entry error code from a batch API names a condition
// worth retrying.
func transientCode(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled",
		"TooManyRequestsException", "InternalFailure", "InternalException", "InternalError",
		"ServiceUnavailable", "ServiceUnavailableException", "LimitExceededException":
		return true
	}
	return false
}
