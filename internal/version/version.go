// Package version describes the running binary from its build information, for `detector
// version` and the Lambda function's init log line.
package version

import (
	"runtime"
	"runtime/debug"
)

// Program is the name the description starts with: the CLI's binary name, which the Lambda
// function's log line says too (both are built from this repository's one module).
const Program = "detector"

// String describes this binary from its build information: the module version
// ("(devel)" for a build from a checkout), the VCS revision and time it was built from, with
// "+dirty" when the work tree had changes, and the Go version. Builds without VCS stamping
// (-buildvcs=false, go test) say the revision is unknown.
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return Of(bi)
}

// Of is String for the build information bi (nil: none).
func Of(bi *debug.BuildInfo) string {
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
	out := Program + " " + version
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
