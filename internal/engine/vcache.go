package engine

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// This file holds the virtual document cache of one evaluation (topdown.VirtualCache): the
// value of each rule (and function call) an evaluation has computed, so that the rules that
// share a lib fact evaluate it once. OPA's own cache is a trie with a hash map per level of
// each reference: about a hundred allocations of a selected IAM record's 540 through the
// built-in pack. This one keeps the entries in flat slices, reused from one evaluation to the
// next, and finds them by a hash of the whole reference (scanned, or indexed once there are
// many).

// refCache is a topdown.VirtualCache. The zero value is an empty cache with one frame.
type refCache struct {
	entries []refEntry
	terms   []*ast.Term // the entries' references, back to back
	frames  []int       // the index in entries where each pushed frame starts
	// index maps a reference's hash to its latest entry (older ones are chained through
	// refEntry.next), used once the cache is too large to scan (indexed).
	index   map[int]int32
	indexed bool
}

type refEntry struct {
	hash       int
	start, end int32 // the reference: terms[start:end]
	next       int32 // the previous entry with the same hash, when indexed; -1: none
	value      *ast.Term
	undefined  bool
}

// refCacheScan is how many entries a cache holds before it indexes them by hash.
const refCacheScan = 64

var refCaches = sync.Pool{New: func() any { return new(refCache) }}

// newRefCache returns an empty cache; release it with free when the evaluation is over.
func newRefCache() *refCache { return refCaches.Get().(*refCache) }

// free empties c, dropping its references to the evaluation's values, and pools it.
func (c *refCache) free() {
	if cap(c.entries) > 4096 || cap(c.terms) > 16384 {
		return // an unusual evaluation: let the collector have it
	}
	clear(c.entries)
	clear(c.terms)
	c.entries, c.terms, c.frames = c.entries[:0], c.terms[:0], c.frames[:0]
	clear(c.index)
	c.indexed = false
	refCaches.Put(c)
}

var _ topdown.VirtualCache = (*refCache)(nil)

// Push starts a new frame: until Pop, lookups see only what is put after it.
func (c *refCache) Push() { c.frames = append(c.frames, len(c.entries)) }

// Pop removes the newest frame and its entries.
func (c *refCache) Pop() {
	if len(c.frames) == 0 {
		return
	}
	top := c.frames[len(c.frames)-1]
	c.frames = c.frames[:len(c.frames)-1]
	for i := len(c.entries) - 1; i >= top; i-- {
		e := &c.entries[i]
		if c.indexed && c.index[e.hash] == int32(i) {
			if e.next >= 0 {
				c.index[e.hash] = e.next
			} else {
				delete(c.index, e.hash)
			}
		}
	}
	if top < len(c.entries) {
		start := c.entries[top].start
		clear(c.entries[top:])
		clear(c.terms[start:])
		c.entries, c.terms = c.entries[:top], c.terms[:start]
	}
}

// bottom is where the current frame's entries start.
func (c *refCache) bottom() int {
	if len(c.frames) == 0 {
		return 0
	}
	return c.frames[len(c.frames)-1]
}

// find returns the index of ref's entry in the current frame, or -1.
func (c *refCache) find(ref ast.Ref, hash int) int {
	bottom := c.bottom()
	if c.indexed {
		i, ok := c.index[hash]
		for ok && int(i) >= bottom {
			if c.matches(int(i), ref) {
				return int(i)
			}
			i = c.entries[i].next
			ok = i >= 0
		}
		return -1
	}
	for i := len(c.entries) - 1; i >= bottom; i-- {
		if c.entries[i].hash == hash && c.matches(i, ref) {
			return i
		}
	}
	return -1
}

func (c *refCache) matches(i int, ref ast.Ref) bool {
	e := &c.entries[i]
	key := c.terms[e.start:e.end]
	if len(key) != len(ref) {
		return false
	}
	for j := range key {
		if !key[j].Equal(ref[j]) {
			return false
		}
	}
	return true
}

// Get returns ref's value: (value, false) when cached, (nil, true) when cached as undefined,
// (nil, false) when not cached.
func (c *refCache) Get(ref ast.Ref) (*ast.Term, bool) {
	i := c.find(ref, refHash(ref))
	if i < 0 {
		return nil, false
	}
	e := &c.entries[i]
	if e.undefined {
		return nil, true
	}
	return e.value, false
}

// Put caches ref's value; a nil value records that ref is undefined. It keeps ref's terms,
// not ref itself, which the evaluator may reuse.
func (c *refCache) Put(ref ast.Ref, value *ast.Term) {
	hash := refHash(ref)
	if i := c.find(ref, hash); i >= 0 {
		c.entries[i].value, c.entries[i].undefined = value, value == nil
		return
	}
	start := len(c.terms)
	c.terms = append(c.terms, ref...)
	c.entries = append(c.entries, refEntry{hash: hash, start: int32(start), end: int32(len(c.terms)), next: -1,
		value: value, undefined: value == nil})
	n := len(c.entries)
	switch {
	case c.indexed:
		c.link(n - 1)
	case n > refCacheScan:
		if c.index == nil {
			c.index = make(map[int]int32, 2*refCacheScan)
		}
		for i := range n {
			c.link(i)
		}
		c.indexed = true
	}
}

// link indexes entry i.
func (c *refCache) link(i int) {
	e := &c.entries[i]
	if prev, ok := c.index[e.hash]; ok {
		e.next = prev
	} else {
		e.next = -1
	}
	c.index[e.hash] = int32(i)
}

// Keys returns the references cached in the current frame with a value.
func (c *refCache) Keys() []ast.Ref {
	var out []ast.Ref
	for i := c.bottom(); i < len(c.entries); i++ {
		if e := &c.entries[i]; !e.undefined && e.value != nil {
			out = append(out, append(ast.Ref(nil), c.terms[e.start:e.end]...))
		}
	}
	return out
}

// refHash hashes ref's terms in order.
func refHash(ref ast.Ref) int {
	h := len(ref)
	for _, t := range ref {
		h = h*31 + t.Value.Hash()
	}
	return h
}

// noBaseCache is the topdown.BaseCache of every evaluation: OPA caches there what it reads
// from the data store, and the engine's store is empty (emptyStore), so there is never
// anything to cache; OPA's own would be made, two allocations, for every evaluation.
type noBaseCache struct{}

func (noBaseCache) Get(ast.Ref) ast.Value  { return nil }
func (noBaseCache) Put(ast.Ref, ast.Value) {}

var _ topdown.BaseCache = noBaseCache{}
