package custom.regal.rules.trailhound["error-code-index-hint_test"]

import data.custom.regal.rules.trailhound["error-code-index-hint"] as rule

_lint(src) := report if {
	report := rule.report with input as regal.parse_module("p.rego", src)
}

test_denied_without_error_code_fails if {
	count(_lint("package p\n\nimport data.lib.cloudtrail as ct\n\nalert contains 1 if {\n\tct.denied\n}\n")) == 1
	count(_lint("package p\n\nimport data.lib.cloudtrail\n\nx := 1 if {\n\ttrue\n} else := 2 if {\n\tcloudtrail.error_code\n}\n")) == 1
}

test_denied_with_error_code_passes if {
	count(_lint("package p\n\nimport data.lib.cloudtrail as ct\n\nalert contains 1 if {\n\tinput.errorCode\n\tct.denied\n}\n")) == 0
}

test_other_uses_pass if {
	# not, a value, a comprehension, and another package's denied are not tests on the rule index
	count(_lint("package p\n\nimport data.lib.cloudtrail as ct\nimport data.lib.other\n\nalert contains ct.error_code if {\n\tnot ct.denied\n\tother.denied\n\tx := [1 | ct.failed]\n}\n")) == 0
}
