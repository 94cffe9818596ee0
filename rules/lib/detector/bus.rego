# The detector's event bus.
# The central bus the organization forwards member accounts' events to (deploy/template.yaml
# names it <stack>-central) is the detector's when its name starts with one of name_prefixes;
# the default bus never is. Its resource policy (PutPermission, RemovePermission) decides which
# accounts may forward events to it.
package lib.detector

# is_detector_bus(s) holds when the EventBusName parameter s (a name or an ARN) names the
# detector's central bus.
is_detector_bus(s) if {
	name := bus_name(s)
	name != "default"
	has_prefix(name)
}

# function_ref is the detector function a Lambda management call named: the FunctionName
# request parameter, else (UpdateEventSourceMapping, DeleteEventSourceMapping, which name a
# mapping by UUID) the functionArn of the response.
function_ref := f if {
	f := input.requestParameters.functionName
	is_string(f)
	f != ""
} else := f if {
	f := input.responseElements.functionArn
	is_string(f)
	f != ""
}
