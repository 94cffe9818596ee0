//go:build lambda

package main

// The Lambda build (-tags lambda, as deploy/build.sh builds the function) is the function
// alone: it registers no CLI command, so the linker leaves out the code only the CLI runs
// (replay and its S3 listing, rules test, lint, bundle signing and doc, scan, pattern) and
// the binary is smaller. Lambda mode is the same in both builds (main.go, lambda*.go); run
// outside Lambda, this build only says what it is. lambda_build_test.go checks that it still
// links every Lambda feature and none of the CLI-only commands.

// lambdaBuild reports whether this is the Lambda build.
const lambdaBuild = true

// commands is empty in the Lambda build.
var commands = map[string]command{}
