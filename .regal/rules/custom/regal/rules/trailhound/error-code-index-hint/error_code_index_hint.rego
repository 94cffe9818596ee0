# METADATA
# description: >-
#   A rule body that needs a failed call (data.lib.cloudtrail's denied, failed,
#   failed_not_denied or error_code tested as a condition) also names input.errorCode: OPA's
#   rule index reads that on input and skips the body, unevaluated, for every call that
#   succeeded, which it cannot do for a test on another rule (rules/lib/README.md, "Cost").
package custom.regal.rules.trailhound["error-code-index-hint"]

import data.regal.result

# _outcome_facts are the facts of data.lib.cloudtrail that hold only for a failed call.
_outcome_facts := {"denied", "failed", "failed_not_denied", "error_code"}

# _lib_names are the names the module's imports give data.lib.cloudtrail.
_lib_names contains name if {
	some imp in input.imports
	[t.value | some t in imp.path.value] == ["data", "lib", "cloudtrail"]
	name := object.get(imp, "alias", "cloudtrail")
}

report contains violation if {
	some rule in input.rules
	walk(rule, [_, node])
	node.head # the rule itself or one of its else branches, not a comprehension
	some expr in node.body
	_tests_outcome(expr)
	not _names_error_code(node.body)

	violation := result.fail(rego.metadata.chain(), result.location(expr))
}

# _tests_outcome(expr) holds for a bare test of an outcome fact: ct.denied, ct.error_code.
_tests_outcome(expr) if {
	not expr.negated
	expr.terms.type == "ref"
	[head, fact] := expr.terms.value
	head.type == "var"
	head.value in _lib_names
	fact.value in _outcome_facts
}

_names_error_code(body) if {
	some expr in body
	not expr.negated
	expr.terms.type == "ref"
	[t.value | some t in expr.terms.value] == ["input", "errorCode"]
}
