package main

import (
	"context"

	"github.com/trailhound/trailhound/internal/event"
)

func cmdScan(ctx context.Context, args []string, s stdio) (int, error) {
	fs := newFlags("scan", s, "scan [flags] [PATH|-]...")
	pf, err := addPipelineFlags(fs)
	if err != nil {
		return exitUsage, err
	}
	paths, err := parseFlags(fs, args)
	if err != nil {
		return exitUsage, err
	}
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	run, code, err := pf.open(ctx, s)
	if err != nil {
		return code, err
	}
	run.p.Run(ctx, event.Paths(paths, s.in))
	return run.finish(s, pf, "scan"), ctx.Err()
}
