package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Exit statuses (DESIGN.md: CLI contract).
const (
	exitOK       = 0  // ran cleanly
	exitAlert    = 1  // an alert at or above --fail-on was raised
	exitPartial  = 2  // some input was malformed or a rule errored; the rest was processed
	exitUsage    = 64 // usage or configuration error
	programName  = "detector"
	usageSummary = `usage: detector <command> [flags] [args]

commands:
  scan [flags] [PATH|-]...   evaluate CloudTrail events from files, directories or stdin
  replay [flags] PATH|s3://bucket/prefix
                             evaluate CloudTrail log files in their S3 key layout, locally or
                             in S3 (--start, --end, --account, --region, --workers)
  backtest [flags] s3://bucket/prefix --state-machine ARN --run s3://bucket/prefix
  backtest [flags] --local PATH|s3://bucket/prefix
                             replay a whole trail as a map and a reduce: on the Step Functions
                             Distributed Map of deploy/backtest.yaml, or in this process
  rules list                 list the loaded rules
  rules test [DIR]           run the Rego unit tests of the built-in pack, or of DIR; for a team
                             pack (or a directory of them) the full verdict CI gives
  rules lint DIR...          check team packs: team file, metadata, namespace, capabilities, compile
  rules bundle --out FILE DIR...
                             write team packs as an OPA bundle for RULES_BUNDLE (--signing-key signs it)
  rules doc [--out FILE]     write the rule catalog (Markdown, as in rules/CATALOG.md)
  pattern [--rules DIR]      print the EventBridge pattern that routes the loaded rules' events
  help                       show this help

Run 'detector <command> -h' for a command's flags.
`
)

// stdio bundles the process's streams so commands can be tested in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

func (s stdio) errorf(format string, args ...any) {
	fmt.Fprintf(s.err, programName+": "+format+"\n", args...)
}

// usageError is a command-line or configuration mistake: exit status 64.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

type command func(ctx context.Context, args []string, io stdio) (int, error)

func run(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	s := stdio{in: in, out: out, err: errw}
	if lambdaBuild {
		s.errorf("this is the Lambda build (-tags lambda): it runs only as the AWS Lambda function (AWS_LAMBDA_RUNTIME_API set) and has no CLI commands; build without -tags lambda for the CLI")
		return exitUsage
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usageSummary)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		s.errorf("unknown command %q\n\n%s", args[0], usageSummary)
		return exitUsage
	}
	code, err := cmd(ctx, args[1:], s)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		s.errorf("%s: %v", args[0], err)
		var ue *usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		if code == exitOK {
			code = exitUsage
		}
	}
	return code
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, s stdio, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.err)
	fs.Usage = func() {
		fmt.Fprintf(s.err, "usage: detector %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors. Flags may follow positional
// arguments (detector scan examples/ --format json).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
		if positional[len(positional)-1] == "--" {
			return append(positional[:len(positional)-1], args...), nil
		}
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
