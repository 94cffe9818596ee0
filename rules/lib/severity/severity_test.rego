package lib.severity_test

import data.lib.severity

test_rank if {
	severity.rank("INFORMATIONAL") == 0
	severity.rank("CRITICAL") == 4
	not severity.rank("SEVERE")
}

test_step_down if {
	severity.step_down("CRITICAL") == "HIGH"
	severity.step_down("LOW") == "INFORMATIONAL"
	severity.step_down("INFORMATIONAL") == "INFORMATIONAL"
	not severity.step_down("bogus")
}

test_step_up if {
	severity.step_up("MEDIUM") == "HIGH"
	severity.step_up("CRITICAL") == "CRITICAL"
}
