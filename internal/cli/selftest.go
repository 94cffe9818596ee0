package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/trailhound/trailhound/internal/selftest"
)

// cmdSelftest runs the post-deploy smoke test (internal/selftest) against the deployed
// function and triage queue, with the CLI's AWS configuration.
func cmdSelftest(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("selftest", s, "selftest --function NAME --queue URL [--region R] [--wait 60s] [--keep]")
	var o selftest.Options
	var region string
	fs.StringVar(&o.Function, "function", "", "the deployed detector function: name or ARN (the stack's FunctionArn output)")
	fs.StringVar(&o.Queue, "queue", "", "the triage queue URL the alert must reach (the stack's TriageQueueUrl output)")
	fs.StringVar(&region, "region", "us-east-1", "region of the function and queue")
	fs.DurationVar(&o.Wait, "wait", time.Minute, "how long to wait for the alert in the queue")
	fs.BoolVar(&o.Keep, "keep", false, "leave the test alert in the queue (by default selftest deletes it once found)")
	if rest, err := parseFlags(fs, args); err != nil {
		return ExitUsage, err
	} else if len(rest) > 0 {
		return ExitUsage, usagef("selftest takes no arguments")
	}
	if o.Function == "" || o.Queue == "" {
		return ExitUsage, usagef("selftest needs --function and --queue (the stack's FunctionArn and TriageQueueUrl outputs)")
	}
	if o.Wait <= 0 {
		return ExitUsage, usagef("--wait must be positive")
	}
	cfg, err := cliAWSConfig(ctx, region)
	if err != nil {
		return ExitUsage, fmt.Errorf("load AWS configuration: %w", err)
	}
	if region != "" {
		cfg.Region = region
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return ExitUsage, fmt.Errorf("AWS credentials: %w", err)
	}
	o.Account = aws.ToString(who.Account)
	o.Nonce, o.Now = selftest.NewNonce(), time.Now().UTC()
	if err := selftest.Run(ctx, selftest.LambdaInvoker{Client: lambda.NewFromConfig(cfg)}, sqs.NewFromConfig(cfg), o, s.out, s.err); err != nil {
		return ExitAlert, err
	}
	return ExitOK, nil
}
