package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion describes this binary from its build information: the module version
// ("(devel)" for a build from a checkout), the VCS revision and time it was built from, with
// "+dirty" when the work tree had changes, and the Go version. Builds without VCS stamping
// (-buildvcs=false, go test) say the revision is unknown.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionOf(bi)
}

// versionOf is buildVersion for the build information bi (nil: none).
func versionOf(bi *debug.BuildInfo) string {
	version, revision, when, dirty := "(unknown)", "", "", false
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	out := programName + " " + version
	switch {
	case revision == "":
		out += ", revision unknown (built without VCS information)"
	default:
		out += ", revision " + revision
		if dirty {
			out += "+dirty"
		}
		if when != "" {
			out += " (" + when + ")"
		}
	}
	return out + ", " + runtime.Version()
}

// cmdVersion prints buildVersion.
func cmdVersion(_ context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("version", s, "version")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(rest) > 0 {
		return exitUsage, usagef("version takes no arguments")
	}
	fmt.Fprintln(s.out, buildVersion())
	return exitOK, nil
}
