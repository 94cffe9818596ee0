package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailhound/trailhound/internal/alert"
	"github.com/trailhound/trailhound/internal/delivery"
)

// securityHubBatch is the most findings BatchImportFindings takes in one call.
const securityHubBatch = 100

// securityHubAPI is the part of the Security Hub client the sink uses.
type securityHubAPI interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
	GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// callerAPI resolves the account the detector runs in.
type callerAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// SecurityHub imports each alert as an ASFF finding (see findingOwner.ASFF) under the
// account's default product, at most 100 per BatchImportFindings call. A finding Security Hub
// reports in FailedFindings fails its alert (transient error codes are retried first).
type SecurityHub struct {
	client  securityHubAPI
	caller  callerAPI
	region  string
	backoff Backoff
	now     func() time.Time

	mu      sync.Mutex
	account string
}

// NewSecurityHub returns a sink importing into Security Hub in region. The importing account
// is resolved with STS GetCallerIdentity on first use (no IAM permission needed), so a cold
// start that raises nothing makes no STS call.
func NewSecurityHub(client securityHubAPI, caller callerAPI, region string) *SecurityHub {
	return &SecurityHub{client: client, caller: caller, region: region, backoff: DefaultBackoff, now: time.Now}
}

func (s *SecurityHub) owner(ctx context.Context) (findingOwner, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.account == "" {
		out, err := s.caller.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return findingOwner{}, fmt.Errorf("resolve the importing account: %w", err)
		}
		s.account = aws.ToString(out.Account)
	}
	return findingOwner{Account: s.account, Region: s.region}, nil
}

type hubEntry struct {
	alertID string
	finding types.AwsSecurityFinding
}

// Send imports the alerts.
func (s *SecurityHub) Send(ctx context.Context, alerts []*alert.Alert) error {
	o, err := s.owner(ctx)
	if err != nil {
		return fmt.Errorf("securityhub: %w", err)
	}
	entries := make([]hubEntry, len(alerts))
	for i, a := range alerts {
		entries[i] = hubEntry{alertID: a.ID, finding: o.ASFFAt(a, s.now())}
	}
	return s.importFindings(ctx, entries)
}

// importFindings imports the findings in batches of at most 100.
func (s *SecurityHub) importFindings(ctx context.Context, entries []hubEntry) error {
	var errs []error
	for _, batch := range batches(entries, securityHubBatch, int(^uint(0)>>1), func(hubEntry) int { return 0 }) {
		if err := sendEntries(ctx, s.backoff, batch, func(e hubEntry) string { return e.alertID }, s.importBatch); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("securityhub: %w", err)
	}
	return nil
}

func (s *SecurityHub) importBatch(ctx context.Context, batch []hubEntry) entryResult[hubEntry] {
	in := &securityhub.BatchImportFindingsInput{}
	byID := map[string]hubEntry{}
	for _, e := range batch {
		in.Findings = append(in.Findings, e.finding)
		byID[e.alertID] = e
	}
	out, err := s.client.BatchImportFindings(ctx, in)
	if err != nil {
		return entryResult[hubEntry]{err: delivery.ForAlerts(alertIDs(batch, func(e hubEntry) string { return e.alertID }), fmt.Errorf("import findings: %w", err))}
	}
	if aws.ToInt32(out.FailedCount) == 0 {
		return entryResult[hubEntry]{}
	}
	var res entryResult[hubEntry]
	var errs []error
	for _, f := range out.FailedFindings {
		id, code := aws.ToString(f.Id), aws.ToString(f.ErrorCode)
		e, ok := byID[id]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("unknown finding %q failed: %s: %s", id, code, aws.ToString(f.ErrorMessage)))
		case transientCode(code):
			res.retry = append(res.retry, e)
		default:
			errs = append(errs, &delivery.AlertError{AlertID: e.alertID, Err: fmt.Errorf("finding rejected: %s: %s", code, aws.ToString(f.ErrorMessage))})
		}
	}
	if len(res.retry) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("import findings: FailedCount %d but no failed finding listed", aws.ToInt32(out.FailedCount)))
	}
	res.err = errors.Join(errs...)
	return res
}
