//go:build lambda

package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trailhound/trailhound/internal/awsenv"
)

// The Lambda build (-tags lambda, as deploy/build.sh builds the function) is the function
// alone: it registers no CLI command, so the linker leaves out the code only the CLI runs
// (replay and its S3 listing, rules test, lint, bundle signing and doc, scan, pattern) and
// the binary is smaller. Nor does it compile the AWS SDK's config package (profiles, the
// credential providers of the default chain and the SSO, SSO-OIDC and sign-in clients they
// use), which only the CLI's cliAWSConfig needs: Lambda mode reads its AWS settings from the
// environment (internal/awsenv). Lambda mode is the same in both builds (main.go, lambda*.go); run
// outside Lambda, this build only says what it is. lambda_build_test.go checks that it still
// links every Lambda feature and none of the CLI-only commands or the config package.

// lambdaBuild reports whether this is the Lambda build.
const lambdaBuild = true

// commands is empty in the Lambda build.
var commands = map[string]command{}

// cliAWSConfig is the environment's AWS configuration (awsenv), not the SDK's default chain
// as in the default build: no CLI command runs in this build, and this keeps the code they
// share compiling without the config package.
func cliAWSConfig(_ context.Context, region string) (aws.Config, error) {
	return awsenv.Load(os.Getenv, awsenv.Options{DefaultRegion: region})
}
