package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/pipeline"
)

// EnvEnrich turns the IAM lookups on or off (DESIGN.md: Configuration); on by default in
// Lambda, where the function's role grants the read-only IAM calls they make.
const EnvEnrich = "ENRICH"

// newEnricher returns the IAM enricher, or nil when ENRICH=false.
func newEnricher(cfg aws.Config, eng *engine.Engine, getenv func(string) string) (pipeline.Enricher, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(EnvEnrich))); v {
	case "false", "0", "no":
		return nil, nil
	case "", "true", "1", "yes":
	default:
		return nil, fmt.Errorf("%s: want true or false, got %q", EnvEnrich, v)
	}
	e, err := enrich.New(enrich.Options{IAM: iam.NewFromConfig(cfg), Subjects: eng})
	if err != nil {
		return nil, fmt.Errorf("configure enrichment: %w", err)
	}
	return e, nil
}
