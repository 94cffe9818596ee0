package lib.detector_test

import data.lib.detector

test_function_name_forms if {
	detector.function_name("trailhound-detector") == "trailhound-detector"
	detector.function_name("trailhound-detector:live") == "trailhound-detector"
	detector.function_name("111122223333:function:trailhound-detector") == "trailhound-detector"
	detector.function_name("arn:aws:lambda:us-east-1:111122223333:function:trailhound-detector") == "trailhound-detector"
	detector.function_name("arn:aws:lambda:us-east-1:111122223333:function:trailhound-detector:7") == "trailhound-detector"
	not detector.function_name("")
	not detector.function_name(null)
}

test_bus_name_forms if {
	detector.bus_name("default") == "default"
	detector.bus_name("security-events") == "security-events"
	detector.bus_name("arn:aws:events:us-east-1:111122223333:event-bus/security-events") == "security-events"
	detector.bus_name("") == "default"
	detector.bus_name(null) == "default"
}

test_detector_function_by_prefix if {
	detector.is_detector_function("trailhound-DetectorFunction-AbC123")
	detector.is_detector_function("TrailHound-prod-Detector")
	detector.is_detector_function("arn:aws:lambda:eu-west-1:111122223333:function:trailhound-prod-Detector-X1")
}

test_other_functions_are_not_the_detector if {
	not detector.is_detector_function("orders-api")
	not detector.is_detector_function("my-trailhound-copy")
	not detector.is_detector_function("arn:aws:lambda:eu-west-1:111122223333:function:orders-api")
	not detector.is_detector_function(42)
}

test_detector_rule if {
	detector.is_detector_rule("trailhound-DetectorRule-1A2B3C")
	detector.is_detector_rule("trailhound-CentralRule-7G8H9I0J1K2L")
	detector.is_detector_rule("StackSet-trailhound-forwarding-5f0c-ForwardRule-QW12ER34TY56")
	not detector.is_detector_rule("nightly-backup")
	not detector.is_detector_rule("StackSet-orders-ForwardRule-QW12ER34TY56")
	not detector.is_detector_rule("copy-of-trailhound-rule")
	not detector.is_detector_rule(null)
}
