# METADATA
# title: Detector resources
# description: |
#   Recognises trailhound's own AWS resources (its Lambda function and the EventBridge rules
#   that feed it) in tamper events, by name. The deploy templates derive every name from the
#   CloudFormation stack name, and deploy/README.md deploys them under names that start with
#   "trailhound":
#
#   - deploy/template.yaml, stack "trailhound" (any name starting with trailhound works):
#     function trailhound-detector, rule trailhound-DetectorRule-<suffix> on the default bus,
#     and with OrganizationId set the bus trailhound-central and its rule
#     trailhound-CentralRule-<suffix> (CloudFormation names rules <stack>-<logical id>-<suffix>).
#   - deploy/org-forwarding.yaml, StackSet "trailhound-forwarding": CloudFormation names each
#     member stack StackSet-trailhound-forwarding-<id>, so its rule is
#     StackSet-trailhound-forwarding-...-ForwardRule-<suffix>.
#
#   A name is the detector's when it starts with one of name_prefixes, ignoring case. A
#   stack named otherwise is invisible to TH-EVB-001 and TH-LMB-001.
package lib.detector

# name_prefixes start the names of the resources the trailhound templates create (lower case).
name_prefixes := {"trailhound", "stackset-trailhound"}

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

# has_prefix(name) holds for names starting with one of name_prefixes, ignoring case.
has_prefix(name) if {
	some prefix in name_prefixes
	startswith(lower(name), prefix)
}

# is_detector_function(s) holds when the FunctionName parameter s names the detector.
is_detector_function(s) if has_prefix(function_name(s))

# is_detector_rule(name) holds when an EventBridge rule name is one of the detector's.
is_detector_rule(name) if {
	is_string(name)
	has_prefix(name)
}
