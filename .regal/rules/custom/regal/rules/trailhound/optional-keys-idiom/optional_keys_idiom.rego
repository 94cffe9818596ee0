# METADATA
# description: >-
#   An object with optional keys is built with the pack's one idiom, an object comprehension
#   over a literal list of [key, values] (rules/lib/README.md, "Objects with optional keys"):
#   not from a set of [key, value] pairs (`pairs contains ["key", value] if ...`), and not
#   as an object that a failed condition leaves empty (`... else := {}`) for object.union.
package custom.regal.rules.trailhound["optional-keys-idiom"]

import data.regal.result

# A partial set of [key, value] pairs: name contains ["key", value] if ...
report contains violation if {
	some rule in input.rules
	rule.head.key.type == "array"
	count(rule.head.key.value) == 2
	rule.head.key.value[0].type == "string"

	violation := result.fail(rego.metadata.chain(), result.location(rule.head))
}

# An object that is empty when the rule's condition fails: name := {...} if ... else := {}
report contains violation if {
	some rule in input.rules
	walk(rule, [path, node])
	path[count(path) - 1] == "else"
	node.head.value.type == "object"
	count(node.head.value.value) == 0

	violation := result.fail(rego.metadata.chain(), result.location(node))
}
