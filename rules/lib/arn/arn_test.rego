package lib.arn_test

import data.lib.arn

test_parse_iam_user if {
	arn.parse("arn:aws:iam::111122223333:user/division/bob") == {
		"partition": "aws",
		"service": "iam",
		"region": "",
		"account": "111122223333",
		"resource": "user/division/bob",
	}
}

test_parse_keeps_colons_in_resource if {
	arn.parse("arn:aws:lambda:us-east-1:111122223333:function:fn:live").resource == "function:fn:live"
}

test_parse_other_partition if {
	arn.parse("arn:aws-us-gov:iam::111122223333:root").partition == "aws-us-gov"
}

test_parse_rejects_non_arns if {
	not arn.parse("bob")
	not arn.parse("arn:aws:iam")
	not arn.parse(42)
	not arn.parse(null)
	not arn.parse("arn::::::")
}

test_last_segment_skips_path if {
	arn.last_segment("arn:aws:iam::111122223333:user/division/team/bob") == "bob"
	arn.last_segment("arn:aws:iam::111122223333:user/bob") == "bob"
	arn.last_segment("arn:aws:iam::111122223333:role/service-role/deployer") == "deployer"
}

test_last_segment_undefined_without_slash if {
	not arn.last_segment("arn:aws:iam::111122223333:root")
	not arn.last_segment("arn:aws:iam::111122223333:user/")
}

test_is_iam_user if {
	arn.is_iam_user("arn:aws:iam::111122223333:user/bob")
	arn.is_iam_user("arn:aws:iam::111122223333:user/path/bob")
	not arn.is_iam_user("arn:aws:iam::111122223333:root")
	not arn.is_iam_user("arn:aws:iam::111122223333:role/bob")
	not arn.is_iam_user("arn:aws:sts::111122223333:assumed-role/bob/s")
	not arn.is_iam_user("user/bob")
}

test_is_root if {
	arn.is_root("arn:aws:iam::111122223333:root")
	not arn.is_root("arn:aws:iam::111122223333:user/root")
	not arn.is_root("arn:aws:sts::111122223333:root")
}

test_assumed_role_parts if {
	arn.assumed_role_parts("arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com") == {
		"role": "Admin",
		"session": "alice@example.com",
	}
	arn.assumed_role_parts("arn:aws:sts::111122223333:assumed-role/tester") == {"role": "tester", "session": ""}
	not arn.assumed_role_parts("arn:aws:iam::111122223333:role/Admin")
}
