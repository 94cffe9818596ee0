package cli

import (
	"context"
	"fmt"

	"github.com/trailhound/trailhound/internal/version"
)

// cmdVersion prints version.String.
func cmdVersion(_ context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("version", s, "version")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return ExitUsage, err
	}
	if len(rest) > 0 {
		return ExitUsage, usagef("version takes no arguments")
	}
	fmt.Fprintln(s.out, version.String())
	return ExitOK, nil
}
