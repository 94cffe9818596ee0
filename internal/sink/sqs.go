package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

// SQS limits: 10 entries per SendMessageBatch, and 256 KiB for one message and for the sum of
// a batch's messages (the queue's default MaximumMessageSize; the template keeps it).
const (
	sqsBatchEntries = 10
	sqsMaxBytes     = 256 * 1024
)

// sqsAPI is the part of the SQS client the sink uses.
type sqsAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SQS sends each alert as one message to the triage queue: body = Alert v1 JSON, message
// attributes severity, rule_id and team (for subscription filters and consumers that route
// without parsing the body). On a FIFO queue (URL ending .fifo) the message group is the actor
// (groupID) and the deduplication id the alert id, so a redelivered event inside the
// 5-minute deduplication window is dropped by SQS itself.
type SQS struct {
	client   sqsAPI
	queueURL string
	fifo     bool
	backoff  Backoff
}

// NewSQS returns a sink sending to queueURL.
func NewSQS(client sqsAPI, queueURL string) *SQS {
	return &SQS{client: client, queueURL: queueURL, fifo: strings.HasSuffix(queueURL, ".fifo"), backoff: DefaultBackoff}
}

type sqsEntry struct {
	alertID string
	entry   types.SendMessageBatchRequestEntry
	size    int
}

// Send sends the alerts in as few batches as the limits allow. An alert that cannot be sent
// (over the message size limit, rejected by SQS) fails alone (delivery.AlertError); the
// others are still sent.
func (s *SQS) Send(ctx context.Context, alerts []*alert.Alert) error {
	entries := make([]sqsEntry, 0, len(alerts))
	var errs []error
	for i, a := range alerts {
		e, err := s.entry(i, a)
		if err != nil {
			errs = append(errs, &delivery.AlertError{AlertID: a.ID, Err: err})
			continue
		}
		entries = append(entries, e)
	}
	for _, batch := range batches(entries, sqsBatchEntries, sqsMaxBytes, func(e sqsEntry) int { return e.size }) {
		if err := sendEntries(ctx, s.backoff, batch, func(e sqsEntry) string { return e.alertID }, s.sendBatch); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sqs %s: %w", s.queueURL, errors.Join(errs...))
	}
	return nil
}

func (s *SQS) entry(i int, a *alert.Alert) (sqsEntry, error) {
	body, err := marshalAlert(a)
	if err != nil {
		return sqsEntry{}, err
	}
	attrs := map[string]types.MessageAttributeValue{
		"severity": stringAttr(a.Severity),
		"rule_id":  stringAttr(a.Rule.ID),
	}
	if a.Rule.Team != "" {
		attrs["team"] = stringAttr(a.Rule.Team)
	}
	size := len(body)
	for k, v := range attrs {
		size += len(k) + len(*v.StringValue) + len(*v.DataType)
	}
	if size > sqsMaxBytes {
		return sqsEntry{}, fmt.Errorf("message of %d bytes exceeds the SQS limit of %d", size, sqsMaxBytes)
	}
	e := types.SendMessageBatchRequestEntry{
		Id:                aws.String(strconv.Itoa(i)),
		MessageBody:       aws.String(string(body)),
		MessageAttributes: attrs,
	}
	if s.fifo {
		e.MessageGroupId = aws.String(groupID(a))
		e.MessageDeduplicationId = aws.String(dedupID(a))
	}
	return sqsEntry{alertID: a.ID, entry: e, size: size}, nil
}

func (s *SQS) sendBatch(ctx context.Context, batch []sqsEntry) entryResult[sqsEntry] {
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.queueURL)}
	byID := map[string]sqsEntry{}
	for _, e := range batch {
		in.Entries = append(in.Entries, e.entry)
		byID[*e.entry.Id] = e
	}
	out, err := s.client.SendMessageBatch(ctx, in)
	if err != nil {
		return entryResult[sqsEntry]{err: delivery.ForAlerts(alertIDs(batch, func(e sqsEntry) string { return e.alertID }), fmt.Errorf("send: %w", err))}
	}
	var res entryResult[sqsEntry]
	var errs []error
	for _, f := range out.Failed {
		e, ok := byID[aws.ToString(f.Id)]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown batch entry %q failed: %s", aws.ToString(f.Id), aws.ToString(f.Code)))
			continue
		}
		if !f.SenderFault {
			res.retry = append(res.retry, e)
			continue
		}
		errs = append(errs, &delivery.AlertError{AlertID: e.alertID, Err: fmt.Errorf("rejected: %s: %s", aws.ToString(f.Code), aws.ToString(f.Message))})
	}
	res.err = errors.Join(errs...)
	return res
}

func stringAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(attrValue(v))}
}
