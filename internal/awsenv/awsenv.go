// Package awsenv builds the AWS SDK configuration of the Lambda function from its environment
// alone, without the SDK's config package.
//
// config.LoadDefaultConfig reads shared config and credentials files, profiles, SSO, web
// identity, process, container and EC2 instance credentials, and links the SSO, SSO-OIDC,
// STS and sign-in clients that some of these need. In Lambda none of that applies: the
// runtime sets the execution role's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and AWS_SESSION_TOKEN, and the region in AWS_REGION. Load reads those and the few other
// AWS_* settings that cost no code, so the function binary leaves the rest out (1.3 MB of
// the stripped arm64 binary). The CLI keeps config.LoadDefaultConfig (internal/cli/commands.go).
//
// The variables are declared and parsed in internal/settings (settings.AWS); read, as the
// SDK's default chain reads them:
//
//	AWS_REGION, else AWS_DEFAULT_REGION, else Options.DefaultRegion
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ACCOUNT_ID
//	AWS_ENDPOINT_URL               every client's endpoint (the tests point it at moto)
//	AWS_ENDPOINT_URL_<SERVICE>     one service's endpoint, by its SDK service ID in capitals
//	                               with spaces as underscores (AWS_ENDPOINT_URL_SQS,
//	                               AWS_ENDPOINT_URL_S3); it wins over AWS_ENDPOINT_URL
//	AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true   neither of the two above
//	AWS_MAX_ATTEMPTS, AWS_RETRY_MODE           unless Options.Retryer is set (as the SDK
//	                                           ignores them with config.WithRetryer)
//	AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT
//
// Not read (they need the code this package leaves out, or Lambda never sets them):
// AWS_PROFILE and the shared config and credentials files, AWS_ROLE_ARN and
// AWS_WEB_IDENTITY_TOKEN_FILE, container (AWS_CONTAINER_CREDENTIALS_*) and EC2 instance
// credentials, AWS_CA_BUNDLE, the legacy AWS_ACCESS_KEY and AWS_SECRET_KEY names,
// AWS_DEFAULTS_MODE, AWS_SDK_UA_APP_ID, AWS_ACCOUNT_ID_ENDPOINT_MODE, the request
// compression, checksum and clock skew settings, and the S3-specific ones (AWS_S3_*). The
// SDK's defaults apply instead.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	"github.com/trailhound/trailhound/internal/settings"
)

// CredentialsSource is the Source of the credentials Load's provider returns.
const CredentialsSource = "awsenv"

// ErrNoCredentials is what the credentials provider of a configuration loaded without
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY returns (wrapped, naming what is missing).
var ErrNoCredentials = errors.New("no AWS credentials in the environment")

// Options are the caller's defaults.
type Options struct {
	// DefaultRegion is the region when neither AWS_REGION nor AWS_DEFAULT_REGION is set.
	DefaultRegion string
	// Retryer, when set, is the configuration's retryer. AWS_MAX_ATTEMPTS and AWS_RETRY_MODE
	// are then checked but not applied, as the SDK does with config.WithRetryer.
	Retryer func() aws.Retryer
}

// Load returns the SDK configuration the environment describes (settings.LoadAWS, then New);
// getenv is os.Getenv in production. It fails only for a value it cannot parse.
//
// The service clients read AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> from the process
// environment too, to decide which of the two wins; pass os.Getenv to have them agree.
func Load(getenv func(string) string, o Options) (aws.Config, error) {
	a, err := settings.LoadAWS(getenv)
	if err != nil {
		return aws.Config{}, err
	}
	return New(a, o), nil
}

// New returns the SDK configuration of a. Missing credentials are reported when they are
// needed, as with the SDK's default chain: the configuration's Credentials then return an
// error wrapping ErrNoCredentials, so a caller can check its own settings first and call
// cfg.Credentials.Retrieve itself to fail early.
func New(a settings.AWS, o Options) aws.Config {
	cfg := aws.Config{
		Region:        a.Region,
		Credentials:   credentialsFrom(a),
		Logger:        logging.NewStandardLogger(os.Stderr), // as config.LoadDefaultConfig
		ConfigSources: []any{&source{a}},
	}
	if cfg.Region == "" {
		cfg.Region = o.DefaultRegion
	}
	if a.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(a.EndpointURL)
	}
	if o.Retryer != nil {
		cfg.Retryer = o.Retryer
	} else {
		cfg.RetryMaxAttempts, cfg.RetryMode = a.MaxAttempts, aws.RetryMode(a.RetryMode)
	}
	return cfg
}

// credentialsFrom returns the static credentials of a, or a provider that says which
// variables are missing.
func credentialsFrom(a settings.AWS) aws.CredentialsProvider {
	if a.AccessKeyID == "" || a.SecretAccessKey == "" {
		var missing []string
		for _, v := range []struct {
			name, value string
		}{{settings.AccessKeyID.Name, a.AccessKeyID}, {settings.SecretAccessKey.Name, a.SecretAccessKey}} {
			if v.value == "" {
				missing = append(missing, v.name)
			}
		}
		return noCredentials(strings.Join(missing, " and "))
	}
	return credentials.StaticCredentialsProvider{Value: aws.Credentials{
		AccessKeyID:     a.AccessKeyID,
		SecretAccessKey: a.SecretAccessKey,
		SessionToken:    a.SessionToken,
		AccountID:       a.AccountID,
		Source:          CredentialsSource,
	}}
}

// noCredentials is the credentials provider when the environment has none; it names the
// variables that are not set.
type noCredentials string

func (n noCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, fmt.Errorf("%w: %s not set (only the environment's credentials are read here, as Lambda sets them; no profile, SSO, container or instance credentials)", ErrNoCredentials, string(n))
}

// source is the configuration source the service clients consult (through
// aws.Config.ConfigSources) for the settings aws.Config has no field for. Its methods match
// the SDK's internal/configsources interfaces.
type source struct{ a settings.AWS }

// GetServiceBaseEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the SDK service ID sdkID.
func (s *source) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	u := s.a.ServiceEndpoint(sdkID)
	return u, u != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s *source) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.a.IgnoreEndpoints, s.a.IgnoreEndpoints, nil
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT=true.
func (s *source) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	if !s.a.FIPS {
		return aws.FIPSEndpointStateUnset, false, nil
	}
	return aws.FIPSEndpointStateEnabled, true, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT=true.
func (s *source) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	if !s.a.DualStack {
		return aws.DualStackEndpointStateUnset, false, nil
	}
	return aws.DualStackEndpointStateEnabled, true, nil
}
