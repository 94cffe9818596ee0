package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
)

// newCLIEnricher builds the IAM enricher with the user's AWS credentials and settings
// (cliAWSConfig: the SDK's default chain, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...).
// IAM is global, so a missing region defaults to us-east-1. Credentials the chain cannot
// provide are a usage error before any record is read, not a note on every alert.
func newCLIEnricher(ctx context.Context, eng *engine.Engine) (engine.Enricher, error) {
	cfg, err := cliAWSConfig(ctx, "us-east-1")
	if err != nil {
		return nil, usagef("--enrich: load AWS configuration: %v", err)
	}
	if err := checkCredentials(ctx, cfg); err != nil {
		return nil, usagef("--enrich: %v", err)
	}
	e, err := enrich.New(enrich.Options{IAM: iam.NewFromConfig(cfg), Subjects: eng})
	if err != nil {
		return nil, fmt.Errorf("--enrich: %w", err)
	}
	return e, nil
}

// credentialsTimeout bounds the credential chain's retrieval (SSO, a credential process,
// instance metadata may be slow; none of them takes this long when it works).
const credentialsTimeout = 30 * time.Second

// checkCredentials retrieves cfg's credentials once (no AWS API call is made: the chain only
// reads the environment and files, or asks the provider it names), so that a chain that has
// none fails with one clear error.
func checkCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errors.New("no AWS credentials configured (set AWS_PROFILE, run aws sso login or aws configure, or leave --enrich off)")
	}
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("no usable AWS credentials (set AWS_PROFILE, run aws sso login or aws configure, or leave --enrich off): %w", err)
	}
	return nil
}
