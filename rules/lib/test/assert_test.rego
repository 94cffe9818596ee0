# Helpers for Rego tests.
# Building variants of a record and asserting on a rule's findings, for the tests of the
# built-in pack, the lib and team packs (import data.lib.test). Test-only, like
# records_test.rego.
package lib.test

# patched(rec, patch) is rec with the top-level keys of patch replaced (not merged).
patched(rec, patch) := object.union(object.remove(rec, object.keys(patch)), patch)

# one(findings) is the only finding of a rule's alert set, undefined unless there is exactly
# one: f := test.one(rule.alert) with input as rec
one(findings) := f if {
	count(findings) == 1
	some f in findings
}

# equals(got, want) holds when got equals want; otherwise it prints both, so that a failing
# test says what it got (opa test -v, detector rules test -v).
equals(got, want) if got == want

equals(got, want) := false if {
	got != want
	print("got: ", got)
	print("want:", want)
}

# has(obj, part) holds when obj holds every key of part with its value (object.subset);
# otherwise it prints both.
has(obj, part) if object.subset(obj, part)

has(obj, part) := false if {
	not object.subset(obj, part)
	print("got:     ", obj)
	print("missing: ", part)
}
