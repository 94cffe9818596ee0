# METADATA
# title: CloudTrail trail changes
# description: |
#   What a CloudTrail control-plane call (StopLogging, DeleteTrail, UpdateTrail,
#   PutEventSelectors) in `input` did to a trail: which trail, and whether the change stops
#   the trail from recording what trailhound needs (management write events, and the global
#   service events IAM writes to us-east-1).
package lib.trail

import data.lib.cloudtrail as ct

# name is the trail the call named: requestParameters.name (StopLogging, DeleteTrail,
# UpdateTrail) or requestParameters.trailName (PutEventSelectors); a name or a trail ARN.
name := n if {
	n := input.requestParameters.name
	ct.present(n)
} else := n if {
	n := input.requestParameters.trailName
	ct.present(n)
}

# short_name(s) is the trail name in a trail ARN (arn:aws:cloudtrail:r:a:trail/NAME), or s.
short_name(s) := n if {
	contains(s, ":trail/")
	parts := split(s, ":trail/")
	n := parts[count(parts) - 1]
	n != ""
} else := s

# display_name is the short trail name for messages.
display_name := short_name(name) if {
	name
} else := "an unnamed trail"

default management_writes_logged := false

# management_writes_logged holds when a PutEventSelectors request keeps logging management
# write events: a basic selector with includeManagementEvents true and readWriteType All or
# WriteOnly (All is the default), or an advanced selector on eventCategory Management that
# does not restrict readOnly to true.
management_writes_logged if {
	some sel in input.requestParameters.eventSelectors
	is_object(sel)
	sel.includeManagementEvents == true
	object.get(sel, "readWriteType", "All") in {"All", "WriteOnly"}
}

management_writes_logged if {
	some sel in input.requestParameters.advancedEventSelectors
	some fs in sel.fieldSelectors
	fs.field == "eventCategory"
	is_array(fs.equals)
	"Management" in fs.equals
	not _read_only_only(sel)
}

_read_only_only(sel) if {
	some fs in sel.fieldSelectors
	fs.field == "readOnly"
	fs.equals == ["true"]
}

default management_events_dropped := false

# management_events_dropped holds for a PutEventSelectors request whose selectors no longer
# log management write events (the Stratus "cloudtrail-event-selectors" technique).
management_events_dropped if {
	input.eventName == "PutEventSelectors"
	_has_selectors
	not management_writes_logged
}

_has_selectors if is_array(input.requestParameters.eventSelectors)

_has_selectors if is_array(input.requestParameters.advancedEventSelectors)

# weakening lists what an UpdateTrail or PutEventSelectors request turned off or redirected.
weakening contains "management write events are no longer logged" if management_events_dropped

weakening contains "global service events (IAM, STS, CloudFront) are no longer logged" if {
	input.eventName == "UpdateTrail"
	input.requestParameters.includeGlobalServiceEvents == false
}

weakening contains "the trail no longer covers all regions" if {
	input.eventName == "UpdateTrail"
	input.requestParameters.isMultiRegionTrail == false
}

weakening contains "log file validation was turned off" if {
	input.eventName == "UpdateTrail"
	input.requestParameters.enableLogFileValidation == false
}

weakening contains "logs now go to another S3 bucket" if {
	input.eventName == "UpdateTrail"
	ct.present(input.requestParameters.s3BucketName)
}

weakening contains "the CloudWatch Logs delivery changed" if {
	input.eventName == "UpdateTrail"
	some k in ["cloudWatchLogsLogGroupArn", "cloudWatchLogsRoleArn"]
	_has_key(input.requestParameters, k)
}

weakening contains "the KMS key changed" if {
	input.eventName == "UpdateTrail"
	_has_key(input.requestParameters, "kmsKeyId")
}

_has_key(obj, k) if {
	is_object(obj)
	k in object.keys(obj)
}

default blinds_detector := false

# blinds_detector holds when the change stops the trail from recording the management
# events trailhound evaluates: management writes dropped, or global service events (where
# every IAM event is recorded) turned off.
blinds_detector if management_events_dropped

blinds_detector if {
	input.eventName == "UpdateTrail"
	input.requestParameters.includeGlobalServiceEvents == false
}
