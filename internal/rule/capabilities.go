package rule

import (
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// allowedBuiltins is the allow-list of builtins rules may call: pure functions of their
// arguments, so a replay over old logs gives exactly the results live processing gave. A
// builtin not named here is unavailable, whatever it does: the network (http.send, net.*),
// the OPA runtime (opa.runtime), the wall clock (time.now_ns, and io.jwt.decode_verify,
// crypto.x509.parse_and_verify_*, providers.aws.sign_req, which read it), randomness
// (rand.*, uuid.rfc4122), tracing (trace), and every builtin a later OPA release adds until
// someone reviews it and lists it here. teams/README.md lists the same set for team authors
// (TestAllowListDocumented keeps the two equal).
//
// print is listed so rule tests can print; the engine compiles rules with print statements
// disabled, which removes the calls.
var allowedBuiltins = []string{
	// operators and comparison
	"assign", "eq", "equal", "neq", "lt", "lte", "gt", "gte", "plus", "minus", "mul", "div", "rem",
	"and", "or", "internal.member_2", "internal.member_3", "internal.template_string",
	"print", "internal.print",
	// aggregates, arrays, sets, objects
	"all", "any", "count", "max", "min", "product", "sort", "sum",
	"array.concat", "array.flatten", "array.reverse", "array.slice", "intersection", "union",
	"object.filter", "object.get", "object.keys", "object.remove", "object.subset", "object.union", "object.union_n",
	"json.filter", "json.patch", "json.remove", "walk", "graph.reachable",
	// strings, regular expressions, globs
	"concat", "contains", "endswith", "format_int", "indexof", "indexof_n", "lower", "replace", "split",
	"sprintf", "startswith", "strings.any_prefix_match", "strings.any_suffix_match", "strings.count",
	"strings.replace_n", "strings.reverse", "strings.split_n", "substring", "trim", "trim_left", "trim_prefix",
	"trim_right", "trim_space", "trim_suffix", "upper",
	"regex.find_all_string_submatch_n", "regex.find_n", "regex.globs_match", "regex.is_valid", "regex.match",
	"regex.replace", "regex.split", "regex.template_match", "re_match", "glob.match", "glob.quote_meta",
	// types and numbers
	"is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string", "type_name",
	"abs", "ceil", "floor", "round", "numbers.range", "numbers.range_step", "to_number", "units.parse",
	"units.parse_bytes", "bits.and", "bits.lsh", "bits.negate", "bits.or", "bits.rsh", "bits.xor",
	"semver.compare", "semver.is_valid",
	// encodings and hashes
	"base64.decode", "base64.encode", "base64.is_valid", "base64url.decode", "base64url.encode",
	"base64url.encode_no_pad", "hex.decode", "hex.encode", "json.is_valid", "json.marshal",
	"json.marshal_with_options", "json.unmarshal", "urlquery.decode", "urlquery.decode_object",
	"urlquery.encode", "urlquery.encode_object", "crypto.md5", "crypto.sha1", "crypto.sha256",
	// time, from the event's own timestamps only
	"time.add_date", "time.clock", "time.date", "time.diff", "time.format", "time.parse_duration_ns",
	"time.parse_ns", "time.parse_rfc3339_ns", "time.weekday",
}

// AllowedBuiltins returns the names of the builtins rules may call, sorted.
func AllowedBuiltins() []string { return slices.Sorted(slices.Values(allowedBuiltins)) }

// BuiltinAllowed reports whether rules may call the builtin name.
func BuiltinAllowed(name string) bool { return slices.Contains(allowedBuiltins, name) }

// Capabilities returns the OPA capabilities every rule pack is compiled with: the builtins of
// this OPA version that are on the allow-list, and no network hosts.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if BuiltinAllowed(b.Name) {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	caps.AllowNet = []string{}
	return caps
}
