package settings

import (
	"errors"
	"strings"
)

// AWS is the AWS SDK configuration the Lambda reads from its environment itself
// (internal/awsenv turns it into an aws.Config).
type AWS struct {
	Region          string // AWS_REGION, else AWS_DEFAULT_REGION
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	AccountID       string
	// EndpointURL is AWS_ENDPOINT_URL; "" when unset or IgnoreEndpoints.
	EndpointURL     string
	IgnoreEndpoints bool
	MaxAttempts     int    // 0 when unset
	RetryMode       string // "", standard or adaptive
	FIPS, DualStack bool

	getenv func(string) string
}

// LoadAWS reads the AWS_* variables of the AWS SDK the Lambda reads itself.
func LoadAWS(getenv func(string) string) (AWS, error) {
	a := AWS{
		Region:          Region.Value(getenv),
		AccessKeyID:     AccessKeyID.Value(getenv),
		SecretAccessKey: SecretAccessKey.Value(getenv),
		SessionToken:    SessionToken.Value(getenv),
		AccountID:       AccountID.Value(getenv),
		getenv:          getenv,
	}
	if a.Region == "" {
		a.Region = DefaultRegion.Value(getenv)
	}
	var errs []error
	boolean := func(v *Var, to *bool) {
		var err error
		if *to, err = v.Bool(getenv); err != nil {
			errs = append(errs, err)
		}
	}
	boolean(IgnoreEndpoints, &a.IgnoreEndpoints)
	boolean(UseFIPSEndpoint, &a.FIPS)
	boolean(UseDualStackEndpoint, &a.DualStack)
	if !a.IgnoreEndpoints {
		var err error
		if a.EndpointURL, err = EndpointURL.Parse(getenv); err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	if a.MaxAttempts, err = MaxAttempts.Int(getenv); err != nil {
		errs = append(errs, err)
	}
	if a.RetryMode, err = RetryMode.Parse(getenv); err != nil {
		errs = append(errs, err)
	}
	return a, errors.Join(errs...)
}

// ServiceEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the SDK service ID sdkID (in
// capitals, spaces as underscores: AWS_ENDPOINT_URL_S3), or "" when it is unset or
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
func (a AWS) ServiceEndpoint(sdkID string) string {
	if a.IgnoreEndpoints || a.getenv == nil {
		return ""
	}
	return ServiceEndpoint(a.getenv, sdkID)
}

// ServiceEndpoint returns AWS_ENDPOINT_URL_<SERVICE> for the SDK service ID sdkID.
func ServiceEndpoint(getenv func(string) string, sdkID string) string {
	return strings.TrimSpace(getenv(EndpointURL.Name + "_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")))
}
