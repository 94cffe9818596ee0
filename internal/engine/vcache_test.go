package engine

import (
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestRefCacheAsOPA runs the same operations on refCache and on OPA's own virtual cache and
// requires the same answers: values, undefined marks, frames, and more entries than the
// cache scans (so that it indexes them).
func TestRefCacheAsOPA(t *testing.T) {
	ours, theirs := newRefCache(), topdown.NewVirtualCache()
	defer ours.free()
	ref := func(s string) ast.Ref { return ast.MustParseRef(s) }
	check := func(r ast.Ref) {
		t.Helper()
		v1, u1 := ours.Get(r)
		v2, u2 := theirs.Get(r)
		if u1 != u2 || !v1.Equal(v2) {
			t.Fatalf("Get(%v) = %v, %v; OPA's cache: %v, %v", r, v1, u1, v2, u2)
		}
	}
	put := func(r ast.Ref, v *ast.Term) {
		ours.Put(r, v)
		theirs.Put(r, v)
	}
	var refs []ast.Ref
	for i := range 3 * refCacheScan {
		// A function call's key: the function, then its arguments.
		call := ast.Ref{ast.NewTerm(ref("data.lib.f")), ast.IntNumberTerm(i), ast.StringTerm("x")}
		refs = append(refs, ref(fmt.Sprintf("data.lib.p%d", i)), call)
	}
	refs = append(refs, ref("data.lib"), ref("data.lib.p1.q"), ref("data.x.p1"))
	for i, r := range refs {
		check(r)
		switch i % 3 {
		case 0:
			put(r, ast.IntNumberTerm(i))
		case 1:
			put(r, nil) // undefined
		}
		check(r)
		if i == refCacheScan/2 || i == 2*refCacheScan {
			// A frame over the entries so far: they are hidden until it is popped.
			ours.Push()
			theirs.Push()
			for _, r := range refs[:i+1] {
				check(r)
			}
			put(refs[0], ast.StringTerm("in frame"))
			check(refs[0])
		}
	}
	// A value replaced in place.
	put(refs[3], ast.StringTerm("again"))
	check(refs[3])
	for range 2 {
		ours.Pop()
		theirs.Pop()
		for _, r := range refs {
			check(r)
		}
	}
	if got, want := len(ours.Keys()), len(theirs.Keys()); got != want {
		t.Errorf("Keys: %d references, OPA's cache %d", got, want)
	}
}

// TestRefCacheReused checks that a cache taken from the pool holds nothing of its previous
// evaluation, whether it had indexed its entries or not.
func TestRefCacheReused(t *testing.T) {
	for _, n := range []int{3, 2 * refCacheScan} {
		c := newRefCache()
		for i := range n {
			c.Put(ast.MustParseRef(fmt.Sprintf("data.p%d", i)), ast.BooleanTerm(true))
		}
		c.Push()
		c.free()
		c = newRefCache()
		for i := range n {
			if v, undefined := c.Get(ast.MustParseRef(fmt.Sprintf("data.p%d", i))); v != nil || undefined {
				t.Fatalf("n=%d: a reused cache still holds data.p%d", n, i)
			}
		}
		if len(c.frames) != 0 || c.indexed {
			t.Fatalf("n=%d: a reused cache keeps frames %v or its index", n, c.frames)
		}
		c.free()
	}
}
