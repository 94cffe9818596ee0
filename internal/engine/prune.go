package engine

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// This file leaves out of a compile of the embedded pack the lib rules nothing in it can
// reach. Once its rules read the derived facts from input.facts (factrefs.go), most of the
// lib's fact derivations are read only by the Rego reference of the facts (the else branch of
// each hybrid fact) and by other facts: compiling them is a third of the pack's compile, on
// the critical path of every cold start. A compiler stage after ResolveRefs and
// rewriteFactRefs (pruneLib), when every reference is a full data path, follows the data
// references from the pack's own modules (rules and helpers) and from the lib queries the
// compiler serves (libQueryRoots: the subjects, and the caller unless it is read from
// input.facts) through the lib, and removes the lib rules it never reached.
// Reaching is by prefix, as splitPack's libReached is, per rule: a reference reaches every
// rule whose path it is a prefix of or extends (data.lib reaches the whole lib, data[x] the
// whole tree), so what evaluation can read is never removed. Only the rewritten compile of a
// prechecked pack prunes (the pack the build compiled whole with every check); the reference
// copy compiled as written, team packs and bundles compile every lib rule.

// libQueryRoots returns the lib queries a part of a compile reading the facts directly needs
// besides its rules: the caller, which every joint query may bind, unless it is read from
// input.facts (actorExpr), and, on the first part (where New prepares the lib queries), the
// subjects.
func libQueryRoots(lib map[string]*ast.Module, first bool) []ast.Ref {
	var out []ast.Ref
	if actorExpr(lib) == ActorQuery {
		out = append(out, actorRef)
	}
	if first {
		out = append(out, subjectsRef)
	}
	return out
}

// pruneLib returns the compiler stage that removes the lib rules nothing reaches (see the
// file comment), with queries the lib queries prepared on the compiler besides the rules'.
// It counts the rules it removed in pruned when that is not nil.
func pruneLib(queries []ast.Ref, pruned *int) ast.CompilerStage {
	return func(c *ast.Compiler) *ast.Error {
		n := pruneUnreached(c.Modules, queries)
		if pruned != nil {
			*pruned = n
		}
		return nil
	}
}

// pruneUnreached removes from modules' lib modules every rule that no data reference of the
// other modules' rules or of queries reaches, directly or through lib rules reached, and
// returns how many it removed. Modules' references must be resolved (ResolveRefs).
func pruneUnreached(modules map[string]*ast.Module, queries []ast.Ref) int {
	at := map[string][]*ast.Rule{}    // a rule's path -> the rules with that path
	under := map[string][]*ast.Rule{} // a proper prefix of a rule's path -> the rules under it
	var libMods []*ast.Module
	var queue []string // keys (pathKey) of data prefixes to follow
	seen := map[string]bool{}
	push := func(ref ast.Ref) bool {
		if ref.HasPrefix(ast.DefaultRootRef) {
			if k := pathKey(nil, ref); !seen[k] {
				seen[k] = true
				queue = append(queue, k)
			}
		}
		return false
	}
	for _, m := range modules {
		if !rule.IsLib(m) {
			for _, r := range m.Rules {
				ast.WalkRefs(r, push)
			}
			continue
		}
		libMods = append(libMods, m)
		for _, r := range m.Rules {
			k := pathKey(m.Package.Path, r.Head.Ref())
			at[k] = append(at[k], r)
			for i := range k {
				if k[i] == keySep {
					under[k[:i]] = append(under[k[:i]], r)
				}
			}
		}
	}
	for _, q := range queries {
		push(q)
	}
	reached := map[*ast.Rule]bool{}
	reach := func(rs []*ast.Rule) {
		for _, r := range rs {
			if !reached[r] {
				reached[r] = true
				ast.WalkRefs(r, push)
			}
		}
	}
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for i := range k {
			if k[i] == keySep {
				reach(at[k[:i]])
			}
		}
		reach(at[k])
		reach(under[k])
	}
	removed := 0
	for _, m := range libMods {
		kept := m.Rules[:0]
		for _, r := range m.Rules {
			if reached[r] {
				kept = append(kept, r)
			} else {
				removed++
			}
		}
		clear(m.Rules[len(kept):])
		m.Rules = kept
	}
	return removed
}

// keySep separates the keys of a path in pathKey.
const keySep = 0

// pathKey returns the key of the data path pkg followed by ref (ref alone when pkg is nil),
// up to its first term that is neither a string nor the variable that starts the path or
// the rule's name: the root document's name and the keys, joined by keySep, so that the key
// of a prefix of the path is the key cut before a keySep. A rule's path cut short so is a
// prefix of its path, and any reference related by prefix to the path is related to it too:
// cutting keeps more rules, never fewer.
func pathKey(pkg, ref ast.Ref) string {
	var b strings.Builder
	for i := range len(pkg) + len(ref) {
		var t *ast.Term
		if i < len(pkg) {
			t = pkg[i]
		} else {
			t = ref[i-len(pkg)]
		}
		var s string
		switch v := t.Value.(type) {
		case ast.String:
			s = string(v)
		case ast.Var:
			if i != 0 && i != len(pkg) {
				return b.String()
			}
			s = string(v)
		default:
			return b.String()
		}
		if i > 0 {
			b.WriteByte(keySep)
		}
		b.WriteString(s)
	}
	return b.String()
}
