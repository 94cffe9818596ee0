package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// commands are the CLI's commands, by name.
var commands = map[string]command{
	"scan":     cmdScan,
	"replay":   cmdReplay,
	"rules":    cmdRules,
	"pattern":  cmdPattern,
	"version":  cmdVersion,
	"backtest": cmdBacktest,
	"selftest": cmdSelftest,
}

// cliAWSConfig is the AWS configuration of the CLI commands (scan --enrich, replay from S3):
// the SDK's default chain, as the AWS CLI reads it (AWS_PROFILE, the shared config and
// credentials files, SSO, web identity, container and instance credentials, AWS_REGION,
// AWS_ENDPOINT_URL, ...), with region when none is configured. Only the CLI links the SDK's
// config package; the Lambda function reads the environment (internal/awsenv).
func cliAWSConfig(ctx context.Context, region string) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx, config.WithDefaultRegion(region))
}
