//go:build tools

// Package tools pins Regal, the Rego linter CI runs on rules/ (.ci/run). It is its own module
// because Regal does not build in the same module as the OPA version trailhound embeds:
//
//	go build -C tools/regal -o "$tmp/regal" github.com/styrainc/regal
package tools

import _ "github.com/styrainc/regal"
