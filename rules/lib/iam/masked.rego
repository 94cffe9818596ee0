# Masked access key ids.
# CloudTrail masks some access key ids as HIDDEN_DUE_TO_SECURITY_REASONS. A command that
# needs the key id then cannot be rendered; remediation falls back to listing the user's keys
# and picking the key by its creation time (the event's time).
package lib.iam

default key_masked := false

# key_masked holds when the record names an access key only as HIDDEN_DUE_TO_SECURITY_REASONS
# (in the request, or in CreateAccessKey's response) and no usable id elsewhere.
key_masked := input.facts.iam.key_masked if {
	input.facts.version == 1
} else := _ref_key_masked

_ref_key_masked if {
	not access_key_id
	_masked_key
}

_masked_key if input.requestParameters.accessKeyId == "HIDDEN_DUE_TO_SECURITY_REASONS"

_masked_key if input.responseElements.accessKey.accessKeyId == "HIDDEN_DUE_TO_SECURITY_REASONS"

# masked_key_user_name is the target user of a call whose key id is masked: the user whose
# keys to list (aws iam list-access-keys) to find the key by creation time.
masked_key_user_name := input.facts.iam.masked_key_user_name if {
	input.facts.version == 1
} else := target_user_name if key_masked
