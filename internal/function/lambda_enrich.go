package function

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailhound/trailhound/internal/crossaccount"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
	"github.com/trailhound/trailhound/internal/settings"
)

// newEnricher returns the IAM enricher, or nil when ENRICH=false. It looks up the users of
// the function's own account with the function's credentials, and those of a member account
// through ENRICH_ROLE_NAME (internal/crossaccount).
func newEnricher(cfg aws.Config, eng *engine.Engine, c settings.Enrichment) (engine.Enricher, error) {
	if !c.On {
		return nil, nil
	}
	accounts, err := crossaccount.New(crossaccount.Options{Config: cfg, RoleName: c.RoleName})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", settings.EnrichRoleName.Name, err)
	}
	e, err := enrich.New(enrich.Options{Accounts: accounts, Subjects: eng})
	if err != nil {
		return nil, fmt.Errorf("configure enrichment: %w", err)
	}
	return e, nil
}
