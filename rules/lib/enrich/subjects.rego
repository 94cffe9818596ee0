# METADATA
# title: Enrichment subjects
# description: |
#   Which IAM users an event concerns, for the detector's read-only IAM lookups
#   (input.enrichment). The Go enricher evaluates data.lib.enrich.subjects and looks up only
#   the users named here, so who the target and the actor are is decided in one tested place.
#
#   subjects keys (each present only when known):
#     account               the account the call was made in (lookups run there)
#     target_user           the IAM user the call acted on, by its current name: after a
#                           successful rename (UpdateUser newUserName) the new name
#     target_access_key_id  the access key the call acted on
#     actor_user            the calling IAM user, when it is an IAM user of the same account
#     actor_access_key_id   the long-term key (AKIA...) that signed the call, for actor_user
package lib.enrich

import data.lib.cloudtrail as ct
import data.lib.iam

subjects := {k: v |
	some [k, vs] in [
		["account", [x | x := ct.recipient_account]],
		["target_user", [x | x := target_user]],
		["target_access_key_id", [iam.access_key_id | target_user]],
		["actor_user", [x | x := actor_user]],
		["actor_access_key_id", [ct.long_term_key_id | actor_user]],
	]
	some v in vs
}

# target_user is the target's current name: a successful rename moved it to newUserName.
target_user := n if {
	ct.success
	n := iam.new_user_name
	iam.target_user_name
} else := n if {
	n := iam.target_user_name
}

# actor_user is the caller's IAM user name when the caller is an IAM user of the account the
# call was made in (a user of another account cannot be looked up there).
actor_user := n if {
	n := ct.caller_user_name
	not ct.cross_account
}
