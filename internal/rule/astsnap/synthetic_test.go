package astsnap

// synthetic are modules that together use every node and value kind the parser makes for
// Rego v1, beyond what the embedded pack uses: TestCensus checks that they do.
var synthetic = map[string]string{
	"synthetic/values.rego": `# A comment before the package.
package synthetic.values

import data.lib.other as other_lib
import data.lib.x
import input.foo.bar as fb
import rego.v1

# Scalars of every kind.
scalars := [null, true, false, 1, -2, 3.5, 1e3, "s", ` + "`raw\tstring`" + `, "esc\"aped\u00e9"]

empty_array := []
empty_object := {}
empty_set := set()
array := [1, [2, 3], {"k": "v"}]
object := {"b": 1, "a": 2, 3: [4], "nested": {"z": null, "y": {1, 2}}}
a_set := {3, 1, 2, "x", {"a"}}

arr_compr := [x | some x in [1, 2, 3]; x > 1]
set_compr := {x | some x in {1, 2}}
obj_compr := {k: v | some k, v in {"a": 1}}

ref := input.a.b[0][x].c[_]

call := count(input.items) + sum([1, 2]) * 3 - 1 / 2 % 1

default allow := false

allow if {
	input.user == "admin"
	not input.blocked
	x := 1
	y = 2
	x < y
	input.role in {"a", "b"}
	every v in input.list {
		v > 0
	}
	every k, v in input.obj {
		k != v
	}
	some i, j
	input.m[i][j] == 1
	some k in input.ks
	some k2, v2 in input.kvs
	k == k2
	v2 != null
	f(1) == 2 with input.a as 1 with data.other.thing as {"q": 1}
}

f(x) := y if {
	y := x + 1
} else := 0 if {
	x > 5
} else := -1

g(_, b) := b

g2(_, _) := 1 if {
	false
} else := 2

p.q.r := 1

p.s[k] := v if {
	some k, v in {"a": 1}
}

multi contains v if {
	some v in [1, 2]
}

obj_rule[k] := 1 if {
	some k in ["a"]
}

fn_true if true

implicit_body := 5

else_rule := 1 if {
	false
} else if {
	true
}

	# A tab-indented comment.
tabs	:=	{	"a":	1	}

ts := $"a {input.x} b {count([1])}"

ts_multi := $` + "`" + `multi {input.y}
line` + "`" + `
`,
	"synthetic/logical.rego": `package synthetic.logical

import future.keywords.and
import future.keywords.not
import future.keywords.or

explicit_not if {
	not {
		input.x
		input.y
	}
}

or_rule if {
	input.x or input.y
}

or_explicit if {
	{input.x} or {input.y}
}

and_explicit if {
	input.x and {input.y; input.z}
}

and_rule if {
	{input.x; input.z} and input.y
}

not_group if not (input.a or input.b)

legacy_not := [v | some v in input.l; not v]
`,
}
