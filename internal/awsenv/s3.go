package awsenv

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailhound/trailhound/internal/settings"
)

// S3Use is what an S3 client is for; it decides how the client treats response checksums.
type S3Use int

const (
	// S3Trail reads CloudTrail's log files and writes backtest runs. CloudTrail writes its
	// files without checksums, so validation is skipped for every GetObject, which the SDK
	// would otherwise log each time.
	S3Trail S3Use = iota
	// S3Bundle reads the signed rules bundle: the bundle's signature, not a response
	// checksum, is what the detector trusts, so checksums are validated only when required.
	S3Bundle
)

// NewS3 is the one place the detector's S3 clients are made, in Lambda and in the CLI, from
// either's cfg: S3 is addressed by path when an endpoint is configured (AWS_ENDPOINT_URL or
// AWS_ENDPOINT_URL_S3: moto and other S3 endpoints by address), and checksums are treated as
// use says.
func NewS3(cfg aws.Config, use S3Use) *s3.Client {
	pathStyle := cfg.BaseEndpoint != nil || settings.ServiceEndpoint(os.Getenv, "S3") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = pathStyle
		switch use {
		case S3Trail:
			o.DisableLogOutputChecksumValidationSkipped = true
		case S3Bundle:
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}
