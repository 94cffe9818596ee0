package sink

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/trailhound/trailhound/internal/alert"
)

// Archiver takes back findings of alerts that are now suppressed: the Security Hub sink
// archives them. Whoever suppresses an alert (a team suppression, an org tuning exception)
// calls Archive with it; alerts never imported are left alone.
type Archiver interface {
	Archive(ctx context.Context, alerts []*alert.Alert) error
}

// getFindingsIDs is how many finding ids one GetFindings filter lists (its filter limit is 20
// values per field).
const getFindingsIDs = 20

// Archive re-imports, with RecordState ARCHIVED, the findings of alerts that Security Hub
// holds as ACTIVE: an alert a tuning exception suppresses after it was imported stops showing
// among the active findings. Alerts with no finding (never imported, or imported elsewhere)
// and findings already archived are left alone, so suppression costs one GetFindings call per
// 20 alerts and no import when nothing was imported. The finding keeps everything else (the
// workflow status an analyst set is not touched).
func (s *SecurityHub) Archive(ctx context.Context, alerts []*alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	o, err := s.owner(ctx)
	if err != nil {
		return fmt.Errorf("securityhub archive: %w", err)
	}
	var entries []hubEntry
	for _, chunk := range batches(alerts, getFindingsIDs, int(^uint(0)>>1), func(*alert.Alert) int { return 0 }) {
		active, err := s.activeFindings(ctx, o, chunk)
		if err != nil {
			return fmt.Errorf("securityhub archive: %w", err)
		}
		for _, a := range chunk {
			if !active[a.ID] {
				continue
			}
			f := o.ASFFAt(a, s.now())
			f.RecordState = types.RecordStateArchived
			entries = append(entries, hubEntry{alertID: a.ID, finding: f})
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return s.importFindings(ctx, entries)
}

// activeFindings lists which of the alerts have an ACTIVE finding under the owner's product.
func (s *SecurityHub) activeFindings(ctx context.Context, o findingOwner, alerts []*alert.Alert) (map[string]bool, error) {
	filters := &types.AwsSecurityFindingFilters{
		ProductArn:  []types.StringFilter{{Value: aws.String(o.productARN()), Comparison: types.StringFilterComparisonEquals}},
		RecordState: []types.StringFilter{{Value: aws.String(string(types.RecordStateActive)), Comparison: types.StringFilterComparisonEquals}},
	}
	for _, a := range alerts {
		filters.Id = append(filters.Id, types.StringFilter{Value: aws.String(a.ID), Comparison: types.StringFilterComparisonEquals})
	}
	out := map[string]bool{}
	in := &securityhub.GetFindingsInput{Filters: filters, MaxResults: aws.Int32(100)}
	for range 10 { // 20 ids fit one page; the bound guards against a paging loop
		r, err := s.client.GetFindings(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("get findings: %w", err)
		}
		for _, f := range r.Findings {
			if f.RecordState == types.RecordStateActive {
				out[aws.ToString(f.Id)] = true
			}
		}
		if aws.ToString(r.NextToken) == "" {
			break
		}
		in.NextToken = r.NextToken
	}
	return out, nil
}
