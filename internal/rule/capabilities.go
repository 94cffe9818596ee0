package rule

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// denied lists the builtins rules may not call: network access, the OPA runtime, and
// everything nondeterministic (wall-clock time, randomness), so that a replay over old logs
// gives exactly the results live processing gave.
func denied(name string) bool {
	switch {
	case name == "http.send", name == "opa.runtime", strings.HasPrefix(name, "net."):
		return true
	case name == "time.now_ns", name == "rand.intn", name == "uuid.rfc4122":
		return true
	}
	return false
}

// Capabilities returns the OPA capabilities every rule pack is compiled with: this OPA
// version's builtins minus the denied ones, and no network hosts.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if !denied(b.Name) {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}
