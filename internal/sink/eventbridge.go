package sink

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

// EventBridge event fields of an alert, for SOAR rules to match on.
const (
	EventSource     = "trailhound"
	EventDetailType = "trailhound Alert"
)

// EventBridge limits: 10 entries per PutEvents, 256 KiB per call.
const (
	ebBatchEntries = 10
	ebMaxBytes     = 256 * 1024
)

// eventBridgeAPI is the part of the EventBridge client the sink uses.
type eventBridgeAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge puts each alert on a bus as an event with source "trailhound", detail-type
// "trailhound Alert" and the Alert v1 document as detail, for SOAR automation.
type EventBridge struct {
	client  eventBridgeAPI
	bus     string
	backoff Backoff
}

// NewEventBridge returns a sink putting events on bus (a name or ARN).
func NewEventBridge(client eventBridgeAPI, bus string) *EventBridge {
	return &EventBridge{client: client, bus: bus, backoff: DefaultBackoff}
}

type ebEntry struct {
	alertID string
	entry   types.PutEventsRequestEntry
	size    int
}

// Send puts the alerts in as few calls as the limits allow.
func (s *EventBridge) Send(ctx context.Context, alerts []*alert.Alert) error {
	entries := make([]ebEntry, 0, len(alerts))
	var errs []error
	for _, a := range alerts {
		detail, err := marshalAlert(a)
		if err != nil {
			errs = append(errs, &delivery.AlertError{AlertID: a.ID, Err: err})
			continue
		}
		// EventBridge sizes an entry as its Source, DetailType, Detail and Resources in UTF-8
		// plus 14 bytes for Time.
		size := len(EventSource) + len(EventDetailType) + len(detail) + 14
		if size > ebMaxBytes {
			errs = append(errs, &delivery.AlertError{AlertID: a.ID, Err: fmt.Errorf("event of %d bytes exceeds the limit of %d", size, ebMaxBytes)})
			continue
		}
		entries = append(entries, ebEntry{alertID: a.ID, size: size, entry: types.PutEventsRequestEntry{
			EventBusName: aws.String(s.bus),
			Source:       aws.String(EventSource),
			DetailType:   aws.String(EventDetailType),
			Detail:       aws.String(string(detail)),
			Time:         aws.Time(a.CreatedAt),
		}})
	}
	for _, batch := range batches(entries, ebBatchEntries, ebMaxBytes, func(e ebEntry) int { return e.size }) {
		if err := sendEntries(ctx, s.backoff, batch, func(e ebEntry) string { return e.alertID }, s.put); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("eventbridge bus %s: %w", s.bus, err)
	}
	return nil
}

// put sends one batch. PutEvents answers with one result entry per request entry, in order;
// an entry with an ErrorCode failed.
func (s *EventBridge) put(ctx context.Context, batch []ebEntry) entryResult[ebEntry] {
	in := &eventbridge.PutEventsInput{}
	for _, e := range batch {
		in.Entries = append(in.Entries, e.entry)
	}
	ids := func() []string { return alertIDs(batch, func(e ebEntry) string { return e.alertID }) }
	out, err := s.client.PutEvents(ctx, in)
	if err != nil {
		return entryResult[ebEntry]{err: delivery.ForAlerts(ids(), fmt.Errorf("put: %w", err))}
	}
	if out.FailedEntryCount == 0 {
		return entryResult[ebEntry]{}
	}
	if len(out.Entries) != len(batch) {
		return entryResult[ebEntry]{err: fmt.Errorf("put alerts %v: %d of them failed and the answer has %d entries for %d sent",
			ids(), out.FailedEntryCount, len(out.Entries), len(batch))}
	}
	var res entryResult[ebEntry]
	var errs []error
	for i, r := range out.Entries {
		code := aws.ToString(r.ErrorCode)
		switch {
		case code == "":
		case transientCode(code):
			res.retry = append(res.retry, batch[i])
		default:
			errs = append(errs, &delivery.AlertError{AlertID: batch[i].alertID, Err: fmt.Errorf("rejected: %s: %s", code, aws.ToString(r.ErrorMessage))})
		}
	}
	if len(res.retry) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("put alerts %v: FailedEntryCount %d but no entry has an error code", ids(), out.FailedEntryCount))
	}
	res.err = errors.Join(errs...)
	return res
}
