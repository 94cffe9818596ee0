// Command detector is trailhound's one binary. Run locally it is a CLI (scan, replay, rules,
// pattern); run by AWS Lambda (AWS_LAMBDA_RUNTIME_API set) it is the function handler. This
// package only wires the internal packages together; it holds no detection logic.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if lambdaMode() {
		lambdaMain() // never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
