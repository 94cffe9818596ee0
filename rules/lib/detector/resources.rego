# METADATA
# title: Detector resources
# description: |
#   Recognises trailhound's own AWS resources (its Lambda function and its EventBridge rules)
#   in tamper events.
#
#   A resource is the detector's when its name starts with name_prefix ("trailhound",
#   case-insensitive): the deploy templates name the stack, and so every function and rule
#   CloudFormation generates for it, with that prefix. Deployments that use other names list
#   them in the optional data document data.trailhound.detector
#   ({"function_names": [...], "rule_names": [...]}), which these helpers also honour.
package lib.detector

# name_prefix starts the name of every resource the trailhound templates create.
name_prefix := "trailhound"

# function_name(s) is the bare Lambda function name in a FunctionName request parameter,
# which may be a name, a name with a qualifier (name:alias), a partial ARN
# (111122223333:function:name) or a full ARN (arn:aws:lambda:...:function:name[:qualifier]).
function_name(s) := n if {
	is_string(s)
	contains(s, ":function:")
	parts := split(s, ":function:")
	n := split(parts[count(parts) - 1], ":")[0]
	n != ""
} else := n if {
	is_string(s)
	not contains(s, ":function:")
	n := split(s, ":")[0]
	n != ""
}

# bus_name(s) is the bare event bus name in an EventBusName parameter (a name or an ARN);
# "default" when the parameter is absent or empty.
bus_name(s) := n if {
	is_string(s)
	contains(s, ":event-bus/")
	parts := split(s, ":event-bus/")
	n := parts[count(parts) - 1]
	n != ""
} else := s if {
	is_string(s)
	s != ""
	not contains(s, ":event-bus/")
} else := "default"

# has_prefix(name) holds for names starting with name_prefix, ignoring case.
has_prefix(name) if startswith(lower(name), name_prefix)

# is_detector_function(s) holds when the FunctionName parameter s names the detector.
is_detector_function(s) if has_prefix(function_name(s))

is_detector_function(s) if function_name(s) in _configured("function_names")

# is_detector_rule(name) holds when an EventBridge rule name is one of the detector's.
is_detector_rule(name) if {
	is_string(name)
	has_prefix(name)
}

is_detector_rule(name) if {
	is_string(name)
	name in _configured("rule_names")
}

_configured(key) := {n | some n in data.trailhound.detector[key]; is_string(n)}
