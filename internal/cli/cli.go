// Package cli is the detector CLI's commands (cmd/detector): one file set per command, each
// with its flags and usage text (scan.go, replay.go, backtest*.go, rules*.go, pattern.go,
// version.go, selftest.go), and the plumbing they share (cli.go: dispatch, flags, usage
// errors and exit statuses; output.go: the alert stream and its formats; cli_pipeline.go: the
// pipeline flags of scan and replay). It wires the internal packages together and holds no
// detection, delivery or reload logic of its own.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/trailhound/trailhound/internal/version"
)

// Exit statuses (docs/ARCHITECTURE.md, Two entry points).
const (
	ExitOK       = 0  // ran cleanly
	ExitAlert    = 1  // an alert at or above --fail-on was raised
	ExitPartial  = 2  // some input was malformed or a rule errored; the rest was processed
	ExitUsage    = 64 // usage or configuration error
	programName  = "detector"
	usageSummary = `usage: detector <command> [flags] [args]

commands:
  scan [flags] [PATH|-]...   evaluate CloudTrail events from files, directories or stdin
                             (--tuning FILE applies the org tuning file; --tuning-diff shows its effect)
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
  rules lint [--tuning FILE] DIR...
                             check team packs: team file, metadata, namespace, capabilities, compile;
                             with --tuning, the org tuning file too
  rules bundle --out FILE [--tuning FILE] DIR...
                             write team packs (and the tuning file) as an OPA bundle for RULES_BUNDLE
                             (--signing-key signs it)
  rules doc [--out FILE]     write the rule catalog (Markdown, as in rules/CATALOG.md)
  pattern [--rules DIR]      print the EventBridge pattern that routes the loaded rules' events
  version                    print the version and VCS revision of this binary (also --version)
  help [COMMAND]             show this help, or a command's
  selftest --function NAME --queue URL
                             after a deploy: invoke the function with a canned event and wait
                             for its alert in the triage queue

Run 'detector <command> -h' for a command's flags.
`
)

// stdio bundles the process's streams so commands can be tested in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

func (s stdio) errorf(format string, args ...any) {
	fmt.Fprint(s.err, programName+": "+terminalSafe(fmt.Sprintf(format, args...))+"\n")
}

// terminalSafe escapes the control characters of a message bound for a terminal (input file
// names and values end up in messages): everything below 0x20 but newline and tab, DEL and
// the C1 controls become \xNN or \u00NN, so no input can move the cursor, clear the screen or
// retitle the window. event.Origin already quotes a file name holding any of them.
func terminalSafe(msg string) string {
	clean := true
	for _, r := range msg {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return msg
	}
	var b strings.Builder
	for _, r := range msg {
		switch {
		case r < 0x80 && isControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case isControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// usageError is a command-line or configuration mistake: exit status 64.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

type command func(ctx context.Context, args []string, io stdio) (int, error)

// Run runs the command args names (os.Args[1:]) with the given streams and returns the
// process's exit status.
func Run(ctx context.Context, args []string, in io.Reader, out, errw io.Writer) int {
	s := stdio{in: in, out: out, err: errw}
	switch {
	case len(args) == 0:
		fmt.Fprint(errw, usageSummary)
		return ExitUsage
	case args[0] == "-h" || args[0] == "--help" || args[0] == "-help":
		fmt.Fprint(out, usageSummary)
		return ExitOK
	case args[0] == "help" && len(args) == 1:
		fmt.Fprint(out, usageSummary)
		return ExitOK
	case args[0] == "help":
		// help COMMAND [SUBCOMMAND] is COMMAND [SUBCOMMAND] --help.
		args = append(args[1:len(args):len(args)], "--help")
	case args[0] == "--version" || args[0] == "-version":
		fmt.Fprintln(out, version.String())
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		s.errorf("unknown command %q; run 'detector help' for the commands", args[0])
		return ExitUsage
	}
	code, err := cmd(ctx, args[1:], s)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		var ue *usageError
		if errors.As(err, &ue) {
			s.errorf("%s: %v", args[0], err)
			return ExitUsage
		}
		s.errorf("%s: %v", args[0], err)
		if code == ExitOK {
			code = ExitUsage
		}
	}
	return code
}

// newFlags returns a FlagSet that reports errors instead of exiting and prints nothing by
// itself: parseFlags prints the usage (to stdout) when -h or --help asks for it, and run
// prints a flag error, once.
func newFlags(name string, s stdio, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(s.out, "usage: detector %s\n", usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(s.out, "\nflags:\n")
			fs.SetOutput(s.out)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors. Flags may follow positional
// arguments (detector scan examples/ --format json). -h or --help prints the usage and
// returns flag.ErrHelp (exit status 0).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on errors too
	defer func() { fs.Usage = usage }()
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, usagef("%v (run 'detector %s -h' for usage)", err, fs.Name())
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

// isTerminal reports whether w is a terminal (a writer with an IsTerminal method says so
// itself: tests stand in for a terminal that way).
func isTerminal(w io.Writer) bool {
	switch w := w.(type) {
	case interface{ IsTerminal() bool }:
		return w.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(w.Fd()))
	}
	return false
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
