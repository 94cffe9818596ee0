package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/pipeline"
)

// cliEnrichDefault is the default of scan's --enrich flag: the ENRICH environment variable
// (docs/ARCHITECTURE.md, Configuration: honoured by the CLI too), else off. The CLI runs on laptops with
// no AWS account, so IAM lookups are opt-in there; the Lambda turns them on by default.
func cliEnrichDefault(getenv func(string) string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv("ENRICH"))); v {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	default:
		return false, usagef("ENRICH: want true or false, got %q", v)
	}
}

// newCLIEnricher builds the IAM enricher with the user's AWS credentials and settings
// (cliAWSConfig: the SDK's default chain, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...).
// IAM is global, so a missing region defaults to us-east-1.
func newCLIEnricher(ctx context.Context, eng *engine.Engine) (pipeline.Enricher, error) {
	cfg, err := cliAWSConfig(ctx, "us-east-1")
	if err != nil {
		return nil, fmt.Errorf("--enrich: load AWS configuration: %w", err)
	}
	e, err := enrich.New(enrich.Options{IAM: iam.NewFromConfig(cfg), Subjects: eng})
	if err != nil {
		return nil, fmt.Errorf("--enrich: %w", err)
	}
	return e, nil
}
