package custom.regal.rules.trailhound["optional-keys-idiom_test"]

import data.custom.regal.rules.trailhound["optional-keys-idiom"] as rule

_lint(src) := report if {
	report := rule.report with input as regal.parse_module("p.rego", src)
}

test_set_of_pairs_fails if {
	count(_lint("package p\n\n_pairs contains [\"k\", input.x]\n")) == 1
}

test_empty_else_object_fails if {
	count(_lint("package p\n\nextra := {\"k\": input.x} if input.y else := {}\n")) == 1
}

test_list_of_key_values_passes if {
	count(_lint("package p\n\nextra := {k: v |\n\tsome [k, vs] in [[\"k\", [x | x := input.x]]]\n\tsome v in vs\n}\n\nwatched contains \"a\"\n")) == 0
}
