package lib.detector_test

import data.lib.detector

test_detector_bus if {
	detector.is_detector_bus("trailhound-central")
	detector.is_detector_bus("arn:aws:events:us-east-1:111122223333:event-bus/trailhound-central")
	not detector.is_detector_bus("default")
	not detector.is_detector_bus("")
	not detector.is_detector_bus(null)
	not detector.is_detector_bus("security-central")
}

test_function_ref if {
	detector.function_ref == "trailhound-detector" with input as {"requestParameters": {"functionName": "trailhound-detector"}}
	detector.function_ref == "arn:aws:lambda:us-east-1:111122223333:function:trailhound-detector" with input as {"requestParameters": {"uUID": "x"}, "responseElements": {"functionArn": "arn:aws:lambda:us-east-1:111122223333:function:trailhound-detector"}}
	not detector.function_ref with input as {"requestParameters": {"uUID": "x"}}
}
