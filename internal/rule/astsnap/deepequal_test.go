package astsnap

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// parserOnly are the unexported fields the decoder cannot set, by "Type.field". Each is
// written by OPA's parser and read only by the parser itself and by `opa fmt` (format),
// never by the compiler or evaluator (see the report of the grep in TestParserOnlyFields).
var parserOnly = map[string]bool{
	"Rule.generatedBody":  true,
	"Head.generatedValue": true,
	"Head.keywords":       true,
}

// deepCompare compares a and b, values of the same type, over every exported and unexported
// field, following pointers, with the fields in parserOnly left out. Beyond equal contents it
// requires the same sharing: a pointer (or a slice's array) met twice in a must be met at the
// same places in b, and the other way round. It returns every difference found, by path.
func deepCompare(a, b any) []string {
	c := &comparer{ab: map[ptrKey]ptrKey{}, ba: map[ptrKey]ptrKey{}}
	c.compare(reflect.ValueOf(a), reflect.ValueOf(b), "")
	return c.diffs
}

type ptrKey struct {
	p   unsafe.Pointer
	t   reflect.Type
	len int
}

type comparer struct {
	ab, ba map[ptrKey]ptrKey
	diffs  []string
}

func (c *comparer) errorf(path, f string, args ...any) {
	if len(c.diffs) < 50 {
		c.diffs = append(c.diffs, path+": "+fmt.Sprintf(f, args...))
	}
}

// pair records that ka stands where kb does; it reports whether both were met before (then
// there is nothing more to compare), and records a difference when only one was, or each
// with another.
func (c *comparer) pair(ka, kb ptrKey, path string) (seen bool) {
	pb, okA := c.ab[ka]
	pa, okB := c.ba[kb]
	switch {
	case okA && okB:
		if pb != kb || pa != ka {
			c.errorf(path, "shared differently")
		}
		return true
	case okA || okB:
		c.errorf(path, "shared in one and not the other")
		return true
	}
	c.ab[ka], c.ba[kb] = kb, ka
	return false
}

func (c *comparer) compare(a, b reflect.Value, path string) {
	if a.IsValid() != b.IsValid() {
		c.errorf(path, "valid %v and %v", a.IsValid(), b.IsValid())
		return
	}
	if !a.IsValid() {
		return
	}
	if a.Type() != b.Type() {
		c.errorf(path, "types %s and %s", a.Type(), b.Type())
		return
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				c.errorf(path, "nil %v and %v", a.IsNil(), b.IsNil())
			}
			return
		}
		if c.pair(ptrKey{a.UnsafePointer(), a.Type(), 0}, ptrKey{b.UnsafePointer(), b.Type(), 0}, path) {
			return
		}
		c.compare(a.Elem(), b.Elem(), path)
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				c.errorf(path, "nil %v and %v", a.IsNil(), b.IsNil())
			}
			return
		}
		c.compare(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			c.errorf(path, "nil %v and %v", a.IsNil(), b.IsNil())
			return
		}
		if a.Len() != b.Len() {
			c.errorf(path, "lengths %d and %d", a.Len(), b.Len())
			return
		}
		if a.Len() > 0 && c.pair(ptrKey{a.UnsafePointer(), a.Type(), a.Len()}, ptrKey{b.UnsafePointer(), b.Type(), b.Len()}, path) {
			return
		}
		for i := range a.Len() {
			c.compare(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Array:
		for i := range a.Len() {
			c.compare(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			c.errorf(path, "maps of %d and %d", a.Len(), b.Len())
			return
		}
		iter := a.MapRange()
		for iter.Next() {
			k := iter.Key()
			if k.Kind() != reflect.Int && k.Kind() != reflect.String {
				c.errorf(path, "map keyed by %s", k.Type())
				return
			}
			vb := b.MapIndex(k)
			if !vb.IsValid() {
				c.errorf(path, "key %v missing", k)
				continue
			}
			c.compare(iter.Value(), vb, fmt.Sprintf("%s[%v]", path, k))
		}
	case reflect.Struct:
		t := a.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if parserOnly[t.Name()+"."+f.Name] {
				continue
			}
			c.compare(a.Field(i), b.Field(i), path+"."+t.Name()+"."+f.Name)
		}
	case reflect.String:
		if a.String() != b.String() {
			c.errorf(path, "%q and %q", a.String(), b.String())
		}
	case reflect.Bool:
		if a.Bool() != b.Bool() {
			c.errorf(path, "%v and %v", a.Bool(), b.Bool())
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if a.Int() != b.Int() {
			c.errorf(path, "%d and %d", a.Int(), b.Int())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if a.Uint() != b.Uint() {
			c.errorf(path, "%d and %d", a.Uint(), b.Uint())
		}
	default:
		c.errorf(path, "cannot compare a %s", a.Kind())
	}
}

// shortPath trims a comparison path for messages.
func shortPath(p string) string {
	return strings.ReplaceAll(p, "ast.", "")
}

// The fields in parserOnly are read only inside OPA's ast package by the parser itself
// (parser.go, parser_ext.go) and by checkRegoV1Rule (rego_v1.go), which the parser runs while
// parsing and `opa fmt` (format.go) and the REPL run on what they format or read; ast.Head.Copy
// clears keywords. The compiler (compile.go) and the evaluator (topdown) never read them:
//
//	grep -rn 'generatedBody\|generatedValue\|\.keywords\b' --include=*.go v1 | grep -v _test
