package function

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/trailhound/trailhound/internal/cli"
	"github.com/trailhound/trailhound/internal/testutil"
)

// lambdaFeatures are symbols the Lambda build must link, one or more per feature the function
// has (docs/ARCHITECTURE.md, deploy/README.md): the Runtime API loop, every sink, the DynamoDB state,
// IAM enrichment, team routes, and the signed bundle reloaded from S3. A feature cmd/bootstrap
// no longer reached would be missing here (its configuration would then do nothing).
var lambdaFeatures = []string{
	"github.com/trailhound/trailhound/internal/function.Main",
	"github.com/aws/aws-lambda-go/lambda.Start",
	"github.com/trailhound/trailhound/internal/engine.New",
	"github.com/trailhound/trailhound/internal/sink.(*SQS).Send",
	"github.com/trailhound/trailhound/internal/sink.(*SecurityHub).Send",
	"github.com/trailhound/trailhound/internal/sink.(*SNS).Send",
	"github.com/trailhound/trailhound/internal/sink.(*EventBridge).Send",
	"github.com/trailhound/trailhound/internal/sink.(*Firehose).Send",
	"github.com/trailhound/trailhound/internal/sink.(*PagerDuty).Send",
	"github.com/trailhound/trailhound/internal/sink.(*Slack).Send",
	"github.com/trailhound/trailhound/internal/sink.(*Webhook).Send",
	"github.com/trailhound/trailhound/internal/sink.(*Secret).Value",
	"github.com/trailhound/trailhound/internal/sink.(*SecurityHub).Archive",
	"github.com/trailhound/trailhound/internal/ocsf.Render",
	"github.com/trailhound/trailhound/internal/state.(*Dynamo).Claim",
	"github.com/trailhound/trailhound/internal/state.(*DynamoWindows).Observe",
	"github.com/trailhound/trailhound/internal/enrich.New",
	"github.com/aws/aws-sdk-go-v2/service/iam.(*Client).GetAccessKeyLastUsed",
	"github.com/trailhound/trailhound/internal/route.AWSOpener",
	"github.com/trailhound/trailhound/internal/reload.ParseS3URL",
	"github.com/aws/aws-sdk-go-v2/service/s3.(*Client).GetObject",
	"github.com/trailhound/trailhound/internal/bundle.Read",
	"github.com/trailhound/trailhound/internal/settings.LoadFunction",
	// The backtest function (deploy/backtest.yaml): map worker and reduce.
	"github.com/trailhound/trailhound/internal/function.backtestLambdaMain",
	"github.com/trailhound/trailhound/internal/backtest.(*Worker).Handle",
	"github.com/trailhound/trailhound/internal/backtest.(*Reducer).Handle",
}

// cliOnly are prefixes of functions only the CLI commands reach; the Lambda build
// (cmd/bootstrap) leaves them out (a package's small data, as type switch caches, may stay).
var cliOnly = []string{
	"github.com/trailhound/trailhound/internal/cli.cmdScan",
	"github.com/trailhound/trailhound/internal/cli.cmdReplay",
	"github.com/trailhound/trailhound/internal/cli.cmdRules",
	"github.com/trailhound/trailhound/internal/cli.cmdPattern",
	"github.com/trailhound/trailhound/internal/cli.rulesTest",
	"github.com/trailhound/trailhound/internal/cli.rulesLint",
	"github.com/trailhound/trailhound/internal/cli.rulesBundle",
	"github.com/trailhound/trailhound/internal/cli.rulesDoc",
	"github.com/trailhound/trailhound/internal/cli.cmdBacktest",
	// replay's listing and driver; the backtest worker links only its key selection and
	// record filter (replay.Filter, Select) and S3 reads.
	"github.com/trailhound/trailhound/internal/replay.Run",
	"github.com/trailhound/trailhound/internal/replay.plan",
	"github.com/trailhound/trailhound/internal/replay.Plan",
	"github.com/trailhound/trailhound/internal/replay.(*walker)",
	"github.com/trailhound/trailhound/internal/replay.(*Local)",
	"github.com/trailhound/trailhound/internal/replay.(*Progress)",
	"github.com/trailhound/trailhound/internal/backtest.RunLocal",
	"github.com/aws/aws-sdk-go-v2/service/sfn.",
	"github.com/trailhound/trailhound/internal/verdict.",
	"github.com/open-policy-agent/opa/v1/tester.",
	// The SDK's default chain, for the CLI's AWS configuration (internal/cli, cliAWSConfig);
	// Lambda mode reads the environment (internal/awsenv).
	"github.com/aws/aws-sdk-go-v2/config.",
	"github.com/aws/aws-sdk-go-v2/credentials/",
	"github.com/aws/aws-sdk-go-v2/service/sso.",
	"github.com/aws/aws-sdk-go-v2/service/ssooidc.",
	"github.com/aws/aws-sdk-go-v2/service/signin.",
}

// cliOnlyPackages are packages the Lambda build does not compile at all: the SDK's config
// package and what only it imports (the credential providers of the default chain, the SSO,
// SSO-OIDC and sign-in clients, IMDS) — Lambda mode builds its AWS configuration from the
// environment (internal/awsenv); the CLI keeps the default chain (internal/cli) — and OPA's
// rego, tester and cover packages with what they link.
var cliOnlyPackages = []string{
	"github.com/aws/aws-sdk-go-v2/config",
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds",
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds",
	"github.com/aws/aws-sdk-go-v2/credentials/logincreds",
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds",
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds",
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds",
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds",
	"github.com/aws/aws-sdk-go-v2/service/sso",
	"github.com/aws/aws-sdk-go-v2/service/ssooidc",
	"github.com/aws/aws-sdk-go-v2/service/signin",
	// OPA's rego package links its Wasm compiler and planner; the engine evaluates with
	// topdown directly, and Rego unit tests (tester, cover) run in the CLI only.
	"github.com/open-policy-agent/opa/v1/rego",
	"github.com/open-policy-agent/opa/v1/tester",
	"github.com/open-policy-agent/opa/v1/cover",
	"github.com/open-policy-agent/opa/internal/compiler/wasm",
	"github.com/open-policy-agent/opa/internal/planner",
	"github.com/trailhound/trailhound/internal/regotest",
	// The CLI's commands and the post-deploy smoke test.
	"github.com/trailhound/trailhound/internal/cli",
	"github.com/trailhound/trailhound/internal/selftest",
}

// TestLambdaBuildLeavesOutSDKConfig lists the packages of the Lambda build (go list -deps,
// with deploy/build.sh's tags): none of cliOnlyPackages, or anything under them, is among
// them.
func TestLambdaBuildLeavesOutSDKConfig(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", "../../cmd/bootstrap").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list -deps listed %d packages", len(deps))
	}
	for _, d := range deps {
		for _, p := range cliOnlyPackages {
			if d == p || strings.HasPrefix(d, p+"/") {
				t.Errorf("the Lambda build compiles %s, which only the CLI needs", d)
			}
		}
	}
}

// TestLambdaBuildLinksEveryLambdaFeature builds the function as deploy/build.sh does (for the
// host, keeping the symbol table; the binary the other Lambda tests share under make
// lambda-check) and checks its symbols: every Lambda feature is linked, and none of the
// CLI-only commands is. The deployed flags matter here (inlining decides which functions
// remain), so it runs only under make lambda-check.
func TestLambdaBuildLinksEveryLambdaFeature(t *testing.T) {
	testutil.NeedLambdaCheck(t)
	bin := buildBootstrap(t)
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	syms := map[string]bool{} // name -> is code
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// address type name; the name may hold spaces (anonymous struct types).
		f := strings.SplitN(strings.TrimSpace(sc.Text()), " ", 3)
		if len(f) == 3 {
			syms[f[2]] = f[1] == "T" || f[1] == "t"
		}
	}
	if len(syms) < 1000 {
		t.Fatalf("go tool nm listed %d symbols: is the binary stripped?", len(syms))
	}
	for _, s := range lambdaFeatures {
		if _, ok := syms[s]; !ok {
			t.Errorf("the Lambda build does not link %s", s)
		}
	}
	for s, code := range syms {
		for _, p := range cliOnly {
			if code && strings.HasPrefix(s, p) {
				t.Errorf("the Lambda build links %s, which only a CLI command uses", s)
			}
		}
	}
}

// TestLambdaBuildHasNoCLI runs the function binary outside Lambda: it names itself and exits
// with the usage status whatever the command.
func TestLambdaBuildHasNoCLI(t *testing.T) {
	bin := buildBootstrap(t)
	for _, args := range [][]string{{"scan", "-"}, {"help"}, nil} {
		cmd := exec.Command(bin, args...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_LAMBDA_RUNTIME_API=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != cli.ExitUsage {
			t.Errorf("bootstrap %v: %v, want exit status %d", args, err, cli.ExitUsage)
		}
		if !strings.Contains(stderr.String(), "Lambda build") {
			t.Errorf("bootstrap %v: stderr %q does not say it is the Lambda build", args, stderr.String())
		}
	}
}
