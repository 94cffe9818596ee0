// Package rules holds trailhound's built-in Rego rule pack and the shared Rego helpers it is
// written with, embedded into the binary.
//
// Layout (see README.md for the authoring contract):
//
//	lib/<name>/*.rego                    helpers, package lib.<name>, each with a _test.rego
//	builtin/<service>/<rule>.rego        one rule, package builtin.<service>.<rule>
//	builtin/<service>/<rule>_test.rego   its tests, package builtin.<service>.<rule>_test
//
// FS holds every .rego file under lib and builtin, tests included, because
// `detector rules test` runs them; loaders that evaluate rules skip files ending in
// _test.rego. The alert builder reads the caller from data.lib.cloudtrail.actor.
package rules

import "embed"

// FS is the embedded built-in pack: rules/lib and rules/builtin, *.rego only.
//
//go:embed lib/*/*.rego builtin/*/*.rego
var FS embed.FS
