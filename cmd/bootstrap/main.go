// Command bootstrap is trailhound's AWS Lambda function, as deploy/build.sh builds it into
// deploy/build/bootstrap (the SAM templates' CodeUri): the detector's handler, or the backtest
// function's when BACKTEST_BUCKET is set (internal/function). It is the function alone: it
// imports no CLI command, so the linker leaves out the code only the CLI runs (replay and its
// S3 listing, rules test, lint, bundle signing and doc, scan, pattern, backtest's driver) and
// the binary is smaller; nor does it compile the AWS SDK's config package (profiles, the
// credential providers of the default chain and the SSO, SSO-OIDC and sign-in clients they
// use), which only the CLI needs: the function reads its AWS settings from the environment
// (internal/awsenv). internal/function/lambda_build_test.go checks both. Run outside Lambda,
// it says what it is and exits with the usage status, 64, as the CLI does for a usage error.
package main

import (
	"fmt"
	"os"

	"github.com/trailhound/trailhound/internal/function"
)

// exitUsage is the CLI's usage status (internal/cli), which this binary does not import.
const exitUsage = 64

func main() {
	if !function.LambdaMode() {
		fmt.Fprintln(os.Stderr, "bootstrap: this is the Lambda build (cmd/bootstrap): it runs only as the AWS Lambda function (AWS_LAMBDA_RUNTIME_API set) and has no CLI commands; the CLI is cmd/detector")
		os.Exit(exitUsage)
	}
	function.Main() // never returns
}
