package function

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailhound/trailhound/internal/crossaccount"
	"github.com/trailhound/trailhound/internal/engine"
	"github.com/trailhound/trailhound/internal/enrich"
)

// Enrichment configuration (docs/ARCHITECTURE.md, Configuration).
const (
	// EnvEnrich turns the IAM lookups on or off; on by default in Lambda, where the function's
	// role grants the read-only IAM calls they make.
	EnvEnrich = "ENRICH"
	// EnvEnrichRoleName is the read-only role deploy/org-forwarding.yaml creates in every
	// member account: the function assumes it to look up the users of a member account's
	// event. Unset: only the function's own account is looked up, other accounts' events get
	// a note.
	EnvEnrichRoleName = "ENRICH_ROLE_NAME"
)

// newEnricher returns the IAM enricher, or nil when ENRICH=false. It looks up the users of
// the function's own account with the function's credentials, and those of a member account
// through ENRICH_ROLE_NAME (internal/crossaccount).
func newEnricher(cfg aws.Config, eng *engine.Engine, getenv func(string) string) (engine.Enricher, error) {
	switch v := strings.ToLower(strings.TrimSpace(getenv(EnvEnrich))); v {
	case "false", "0", "no":
		return nil, nil
	case "", "true", "1", "yes":
	default:
		return nil, fmt.Errorf("%s: want true or false, got %q", EnvEnrich, v)
	}
	accounts, err := crossaccount.New(crossaccount.Options{Config: cfg, RoleName: strings.TrimSpace(getenv(EnvEnrichRoleName))})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvEnrichRoleName, err)
	}
	e, err := enrich.New(enrich.Options{Accounts: accounts, Subjects: eng})
	if err != nil {
		return nil, fmt.Errorf("configure enrichment: %w", err)
	}
	return e, nil
}
