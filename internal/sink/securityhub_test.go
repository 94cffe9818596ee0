package sink

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailhound/trailhound/internal/alert"
)

// getFindings reads back every finding with the given generator (rule) id.
func getFindings(t *testing.T, c *securityhub.Client, generator string) map[string]shtypes.AwsSecurityFinding {
	t.Helper()
	out := map[string]shtypes.AwsSecurityFinding{}
	in := &securityhub.GetFindingsInput{MaxResults: aws.Int32(100), Filters: &shtypes.AwsSecurityFindingFilters{
		GeneratorId: []shtypes.StringFilter{{Value: aws.String(generator), Comparison: shtypes.StringFilterComparisonEquals}}}}
	for {
		r, err := c.GetFindings(context.Background(), in)
		if err != nil {
			t.Fatalf("get findings: %v", err)
		}
		for _, f := range r.Findings {
			out[aws.ToString(f.Id)] = f
		}
		if aws.ToString(r.NextToken) == "" {
			return out
		}
		in.NextToken = r.NextToken
	}
}

func TestSecurityHubImportsFindings(t *testing.T) {
	cfg := motoConfig(t)
	ctx := context.Background()
	hub := securityhub.NewFromConfig(cfg)
	s := NewSecurityHub(hub, sts.NewFromConfig(cfg), cfg.Region)
	// 150 alerts: two BatchImportFindings calls.
	var alerts []*alert.Alert
	for i := range 150 {
		alerts = append(alerts, testAlert(fmt.Sprintf("%032x", 1000+i)))
	}
	first := alerts[0]
	first.Summary = "alice \x1b[31mset\x1b[0m a key. " + strings.Repeat("very long summary ", 100)
	if err := s.Send(ctx, alerts); err != nil {
		t.Fatalf("import: %v", err)
	}
	found := getFindings(t, hub, "TH-IAM-001")
	if len(found) != 150 {
		t.Fatalf("got %d findings, want 150", len(found))
	}
	f, ok := found[first.ID]
	if !ok {
		t.Fatalf("no finding with Id %s", first.ID)
	}
	account := "123456789012" // moto's account
	checks := map[string][2]string{
		"ProductArn":   {aws.ToString(f.ProductArn), "arn:aws:securityhub:us-east-1:" + account + ":product/" + account + "/default"},
		"AwsAccountId": {aws.ToString(f.AwsAccountId), account},
		"GeneratorId":  {aws.ToString(f.GeneratorId), "TH-IAM-001"},
		"Schema":       {aws.ToString(f.SchemaVersion), "2018-10-08"},
		"Severity":     {string(f.FindingProviderFields.Severity.Label), "HIGH"},
		"Types":        {strings.Join(f.FindingProviderFields.Types, ","), "TTPs/Persistence/T1098.001"},
		"dedup_count":  {f.ProductFields["trailhound/dedup_count"], "1"},
		"Title":        {aws.ToString(f.Title), first.Title},
		"CreatedAt":    {aws.ToString(f.CreatedAt), "2024-05-01T12:00:00.000Z"},
		"RecUrl":       {aws.ToString(f.Remediation.Recommendation.Url), first.Rule.References[0]},
		"alert_id":     {f.ProductFields["trailhound/alert_id"], first.ID},
		"account":      {f.ProductFields["trailhound/account"], "111122223333"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	desc := aws.ToString(f.Description)
	if n := len([]rune(desc)); n > asffMaxDescription || strings.Contains(desc, "\x1b") || !strings.HasPrefix(desc, `alice \x1b[31mset`) {
		t.Errorf("description (%d chars) not cleaned and cut: %.80q", n, desc)
	}
	if !strings.HasPrefix(aws.ToString(f.Remediation.Recommendation.Text), "Deactivate the key again") {
		t.Errorf("recommendation %q", aws.ToString(f.Remediation.Recommendation.Text))
	}
	types := map[string]string{}
	for _, r := range f.Resources {
		types[aws.ToString(r.Type)] = aws.ToString(r.Id)
	}
	wantRes := map[string]string{"AwsIamUser": "arn:aws:iam::111122223333:user/bob", "AwsIamAccessKey": "AKIAEXAMPLEBOB000001", "AwsAccount": "AWS::::Account:111122223333"}
	for typ, id := range wantRes {
		if types[typ] != id {
			t.Errorf("resource %s = %q, want %q (all: %v)", typ, types[typ], id, types)
		}
	}

	// Re-importing the same alert (a redelivered event, or a dedup update with a higher
	// count) updates the finding, not adds one: UpdatedAt moves, the count is in ProductFields.
	again := testAlert(first.ID)
	again.Severity = "CRITICAL"
	again.Dedup = alert.Dedup{Key: first.ID, Count: 3, FirstSeen: "2024-05-01T12:00:00Z", LastSeen: "2024-05-01T12:40:00Z"}
	s.now = func() time.Time { return time.Date(2024, 5, 1, 12, 41, 0, 0, time.UTC) }
	if err := s.Send(ctx, []*alert.Alert{again}); err != nil {
		t.Fatalf("re-import: %v", err)
	}
	found = getFindings(t, hub, "TH-IAM-001")
	u := found[first.ID]
	if len(found) != 150 || u.FindingProviderFields.Severity.Label != "CRITICAL" {
		t.Errorf("after re-import: %d findings, severity %s; want 150 and CRITICAL", len(found), u.FindingProviderFields.Severity.Label)
	}
	for name, c := range map[string][2]string{
		"UpdatedAt":      {aws.ToString(u.UpdatedAt), "2024-05-01T12:41:00.000Z"},
		"CreatedAt":      {aws.ToString(u.CreatedAt), "2024-05-01T12:00:00.000Z"},
		"LastObservedAt": {aws.ToString(u.LastObservedAt), "2024-05-01T12:40:00.000Z"},
		"dedup_count":    {u.ProductFields["trailhound/dedup_count"], "3"},
	} {
		if c[0] != c[1] {
			t.Errorf("after the dedup update: %s = %q, want %q", name, c[0], c[1])
		}
	}
}

// TestSecurityHubArchivesSuppressedFindings: an alert suppressed after it was imported has
// its finding archived; an alert never imported is not imported by Archive.
func TestSecurityHubArchivesSuppressedFindings(t *testing.T) {
	cfg := motoConfig(t)
	ctx := context.Background()
	hub := securityhub.NewFromConfig(cfg)
	s := NewSecurityHub(hub, sts.NewFromConfig(cfg), cfg.Region)
	imported, never := testAlert(strings.Repeat("a", 32)), testAlert(strings.Repeat("b", 32))
	if err := s.Send(ctx, []*alert.Alert{imported}); err != nil {
		t.Fatal(err)
	}
	var _ Archiver = s
	if err := s.Archive(ctx, []*alert.Alert{imported, never}); err != nil {
		t.Fatal(err)
	}
	found := getFindings(t, hub, "TH-IAM-001")
	if len(found) != 1 {
		t.Fatalf("%d findings, want 1: Archive must not import alerts that were never imported", len(found))
	}
	f := found[imported.ID]
	if f.RecordState != shtypes.RecordStateArchived {
		t.Errorf("RecordState %s, want ARCHIVED", f.RecordState)
	}
	if f.Workflow != nil && f.Workflow.Status != "" && f.Workflow.Status != shtypes.WorkflowStatusNew {
		t.Errorf("workflow changed to %s", f.Workflow.Status)
	}
	// Archiving again finds no ACTIVE finding and imports nothing.
	if err := s.Archive(ctx, []*alert.Alert{imported}); err != nil {
		t.Fatal(err)
	}
}

func TestSecurityHubFailedFindingFailsItsAlert(t *testing.T) {
	cfg := motoConfig(t)
	s := NewSecurityHub(securityhub.NewFromConfig(cfg), sts.NewFromConfig(cfg), cfg.Region)
	o := findingOwner{Account: "123456789012", Region: "us-east-1"}
	good, bad := testAlert(strings.Repeat("5", 32)), testAlert(strings.Repeat("6", 32))
	badFinding := o.ASFF(bad)
	badFinding.Resources = []shtypes.Resource{} // Security Hub (and moto) reject a finding without resources
	err := s.importFindings(context.Background(), []hubEntry{{good.ID, o.ASFF(good)}, {bad.ID, badFinding}})
	if err == nil || !strings.Contains(err.Error(), bad.ID) || strings.Contains(err.Error(), good.ID) {
		t.Fatalf("got %v, want an error naming only %s", err, bad.ID)
	}
	if found := getFindings(t, securityhub.NewFromConfig(cfg), "TH-IAM-001"); len(found) != 1 {
		t.Errorf("got %d findings, want the good one only", len(found))
	}
}
