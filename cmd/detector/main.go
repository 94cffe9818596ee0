// Command detector is trailhound's CLI (scan, replay, backtest, rules, pattern, version,
// selftest: internal/cli). Started by AWS Lambda (AWS_LAMBDA_RUNTIME_API set) it serves as
// the function instead, with the same handler as cmd/bootstrap (internal/function). This
// package only wires the two together; it holds no behaviour of its own.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trailhound/trailhound/internal/cli"
	"github.com/trailhound/trailhound/internal/function"
)

func main() {
	if function.LambdaMode() {
		function.Main() // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
