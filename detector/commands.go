//go:build !lambda

package main

// lambdaBuild reports whether this is the Lambda build (commands_lambda.go).
const lambdaBuild = false

// commands are the CLI's commands, by name.
var commands = map[string]command{
	"scan":    cmdScan,
	"replay":  cmdReplay,
	"rules":   cmdRules,
	"pattern": cmdPattern,
}
