package sink

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
	"github.com/trailhound/trailhound/internal/ocsf"
)

// Firehose limits: 500 records and 4 MiB per PutRecordBatch, 1,000 KiB per record.
const (
	firehoseBatchRecords = 500
	firehoseMaxBatch     = 4 << 20
	firehoseMaxRecord    = 1000 << 10
)

var firehoseStreamName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// firehoseAPI is the part of the Firehose client the sink uses.
type firehoseAPI interface {
	PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, optFns ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

// Firehose puts each alert on an Amazon Data Firehose stream as an OCSF 1.6 Detection
// Finding (internal/ocsf), one JSON object per record followed by a newline, for Amazon
// Security Lake (a custom source) or any S3 data lake. Records Firehose rejects for a
// transient reason are sent again.
type Firehose struct {
	client  firehoseAPI
	stream  string
	backoff Backoff
}

// NewFirehose returns a sink putting records on stream (a delivery stream name).
func NewFirehose(client firehoseAPI, stream string) (*Firehose, error) {
	if !firehoseStreamName.MatchString(stream) {
		return nil, fmt.Errorf("%q is not a delivery stream name", stream)
	}
	return &Firehose{client: client, stream: stream, backoff: DefaultBackoff}, nil
}

type fhEntry struct {
	alertID string
	data    []byte
}

// Send puts the findings in as few calls as the limits allow.
func (s *Firehose) Send(ctx context.Context, alerts []*alert.Alert) error {
	entries := make([]fhEntry, 0, len(alerts))
	var errs []error
	for _, a := range alerts {
		b, err := firehoseRecord(a)
		if err != nil {
			errs = append(errs, &delivery.AlertError{AlertID: a.ID, Err: err})
			continue
		}
		entries = append(entries, fhEntry{alertID: a.ID, data: b})
	}
	for _, batch := range batches(entries, firehoseBatchRecords, firehoseMaxBatch, func(e fhEntry) int { return len(e.data) }) {
		if err := sendEntries(ctx, s.backoff, batch, func(e fhEntry) string { return e.alertID }, s.putBatch); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("firehose %s: %w", s.stream, err)
	}
	return nil
}

// firehoseRecord is the alert's finding and a newline, within the record limit: an alert too
// large is sent without its enrichment context and remediation steps (the triage queue has
// the full alert).
func firehoseRecord(a *alert.Alert) ([]byte, error) {
	b, err := ocsf.JSON(a)
	if err != nil {
		return nil, err
	}
	if len(b)+1 > firehoseMaxRecord {
		lean := a.Trimmed("the enrichment context did not fit Firehose's record size limit; the full alert is in the triage queue")
		if b, err = ocsf.JSON(lean); err != nil {
			return nil, err
		}
		if len(b)+1 > firehoseMaxRecord {
			return nil, fmt.Errorf("OCSF finding of alert %s is %d bytes, over the %d-byte record limit even trimmed", a.ID, len(b), firehoseMaxRecord)
		}
	}
	return append(b, '\n'), nil
}

func (s *Firehose) putBatch(ctx context.Context, batch []fhEntry) entryResult[fhEntry] {
	in := &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(s.stream)}
	for _, e := range batch {
		in.Records = append(in.Records, types.Record{Data: e.data})
	}
	out, err := s.client.PutRecordBatch(ctx, in)
	if err != nil {
		return entryResult[fhEntry]{err: delivery.ForAlerts(alertIDs(batch, func(e fhEntry) string { return e.alertID }), fmt.Errorf("put records: %w", err))}
	}
	if aws.ToInt32(out.FailedPutCount) == 0 {
		return entryResult[fhEntry]{}
	}
	var res entryResult[fhEntry]
	var errs []error
	for i, r := range out.RequestResponses {
		code := aws.ToString(r.ErrorCode)
		if code == "" || i >= len(batch) {
			continue
		}
		if transientCode(code) {
			res.retry = append(res.retry, batch[i])
			continue
		}
		errs = append(errs, &delivery.AlertError{AlertID: batch[i].alertID, Err: fmt.Errorf("record rejected: %s: %s", code, aws.ToString(r.ErrorMessage))})
	}
	if len(res.retry) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("put records: FailedPutCount %d but no failed record listed", aws.ToInt32(out.FailedPutCount)))
	}
	res.err = errors.Join(errs...)
	return res
}
