# METADATA
# title: ARN helpers
# description: |
#   Pure functions over Amazon Resource Names as they appear in CloudTrail records
#   (arn:partition:service:region:account-id:resource). Every function is undefined when
#   its argument is not an ARN, so callers can chain them without type checks.
package lib.arn

# parse(s) is {"partition", "service", "region", "account", "resource"}; the resource keeps
# any further ':' (e.g. "function:name:qualifier").
parse(s) := {
	"partition": parts[1],
	"service": parts[2],
	"region": parts[3],
	"account": parts[4],
	"resource": concat(":", array.slice(parts, 5, count(parts))),
} if {
	is_string(s)
	startswith(s, "arn:")
	parts := split(s, ":")
	count(parts) >= 6
	parts[1] != ""
	parts[2] != ""
}

# segments(s) is the resource split on "/": ["user", "path", "bob"].
segments(s) := split(parse(s).resource, "/")

# resource_type(s) is the first resource segment: "user", "role", "assumed-role",
# "federated-user", "root", "trail", ...
resource_type(s) := segments(s)[0]

# last_segment(s) is the final "/"-separated resource segment (the name, after any path):
# "bob" for arn:aws:iam::111122223333:user/division/bob. Undefined for resources without "/".
last_segment(s) := seg if {
	segs := segments(s)
	count(segs) > 1
	seg := segs[count(segs) - 1]
	seg != ""
}

# is_iam_user(s) holds for an IAM user ARN (arn:aws:iam::<account>:user/[path/]name).
is_iam_user(s) if {
	a := parse(s)
	a.service == "iam"
	resource_type(s) == "user"
	last_segment(s)
}

# is_root(s) holds for the account root user ARN (arn:aws:iam::<account>:root).
is_root(s) if {
	a := parse(s)
	a.service == "iam"
	a.resource == "root"
}

# assumed_role_parts(s) is {"role": name, "session": name} for an STS assumed-role ARN
# (arn:aws:sts::<account>:assumed-role/RoleName/SessionName). The session is "" when absent.
assumed_role_parts(s) := {"role": segs[1], "session": session} if {
	parse(s).service == "sts"
	segs := segments(s)
	segs[0] == "assumed-role"
	count(segs) >= 2
	segs[1] != ""
	session := concat("/", array.slice(segs, 2, count(segs)))
}
