package cli

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/trailhound/trailhound/internal/event"
)

const scanUsage = "scan [flags] [PATH|-]..."

func cmdScan(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("scan", s, scanUsage)
	pf, err := addPipelineFlags(fs)
	if err != nil {
		return ExitUsage, err
	}
	paths, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	if len(paths) == 0 {
		if isTerminalReader(s.in) {
			// Nobody is going to type CloudTrail records: show how to call it instead of
			// waiting on the terminal.
			fs.Usage()
			return ExitUsage, usagef("no PATH given and stdin is a terminal: give files or directories, or - to read stdin")
		}
		paths = []string{"-"}
	}
	if err := checkPaths(paths); err != nil {
		return ExitUsage, err
	}
	run, code, err := pf.open(ctx, s)
	if err != nil {
		return code, err
	}
	run.p.Run(ctx, event.Paths(paths, s.in))
	if run.p.Counts.Records() == 0 && ctx.Err() == nil {
		s.errorf("scan: no CloudTrail records in %s (a directory is searched for .json, .jsonl, .ndjson and .gz files, any case)", strings.Join(paths, ", "))
	}
	return run.finish(s, pf, "scan"), ctx.Err()
}

// checkPaths refuses, as a usage error, a PATH that does not exist or cannot be looked at;
// files found unreadable while reading are malformed input instead (exit status 2).
func checkPaths(paths []string) error {
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return usagef("%s: no such file or directory", p)
			}
			return usagef("%v", err)
		}
	}
	return nil
}

// isTerminalReader reports whether r is a terminal (a reader with an IsTerminal method says
// so itself: tests stand in for a terminal that way).
func isTerminalReader(r io.Reader) bool {
	switch r := r.(type) {
	case interface{ IsTerminal() bool }:
		return r.IsTerminal()
	case *os.File:
		return term.IsTerminal(int(r.Fd()))
	}
	return false
}
