// Package astsnap owns the binary form of parsed Rego modules: a snapshot of exactly what
// OPA's parser (github.com/open-policy-agent/opa/v1/ast, Rego v1, annotations not processed)
// produces for a module, so that a pack that never changes after the binary is built (the
// embedded pack) is parsed when the binary is built and only decoded at start.
//
// Encode writes a module as varints over a per-module string table: the package, imports,
// rules (heads, bodies, else chains, the module back-pointer), every expression and term
// kind the parser makes, every location (row, column, offset, file, tabs, and its text as an
// offset and length into the module's source, so that the decoded text is a slice of the
// source as the parser's is), the comments (the compiler parses METADATA from them when a
// policy calls rego.metadata.*) and the module's Rego version span. Pointers the parser
// shares (a location, a location's tabs, a scalar term used in two places, the interned
// `true` of a generated rule value) are shared alike after decoding. A kind or a sharing the
// encoder does not know (any other node met twice) is an error when encoding, never a silent
// drop.
//
// Decode reads what Encode wrote. It trusts nothing: a truncated or corrupt input is an
// error, never a panic or a loop, and every count is capped by the input left before
// anything is allocated for it.
//
// What the decoder cannot set are three parser-only unexported fields: Rule.generatedBody,
// Head.generatedValue and Head.keywords, which only `opa fmt` and the parser's own Rego v1
// checks read; compiling and evaluating a module does not.
package astsnap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
)

// version is the first byte of every encoding; a change of format changes it, so that an
// encoding generated before the change (a snapshot not regenerated) fails to decode and its
// module is parsed, instead of decoding as something else.
const version = 2

// Tags of nilable, shareable pointers: a location or term is nil, new, or one met before.
const (
	ptrNil = iota
	ptrNew
	ptrRef
	termTrue // ast.InternedBooleanTrue, the value of a rule without one
)

// Value kinds.
const (
	valNull = iota
	valTrue
	valFalse
	valNumber
	valString
	valVar
	valRef
	valArray
	valObject
	valSet
	valArrayCompr
	valObjectCompr
	valSetCompr
	valCall
	valTemplate
)

// Expression term kinds.
const (
	exprTerm = iota
	exprCall
	exprSome
	exprEvery
	exprNot
	exprAnd
	exprOr
)

// Template string part kinds.
const (
	partTerm = iota
	partExpr
)

// Expression flags.
const (
	flagGenerated = 1 << iota
	flagNegated
)

// Rule flags.
const (
	flagDefault = 1 << iota
	flagAssign
	flagInModule // Rule.Module is the module
)

// Location flags.
const (
	locOwnFile = 1 << iota // File is the module's file name
	locText                // Text is non-nil: offset and length follow
	locTabs                // Tabs is non-nil: count and tabs follow
)

// Encode returns the binary form of mod, parsed from src. It refuses what it cannot write
// back exactly: a node or value kind it does not know, annotations (the snapshot is of a
// module parsed without them), a location whose text is not the source at its offset, a
// pointer shared where the parser shares none.
//
// The form is: the version byte; the string table (its count, every length, then the bytes);
// the tabs arrays (their count, then each one's length and elements); the counts of
// locations, terms, expressions, comments, term list elements, body elements and rules, which
// size the decoder's slabs; then the module, depth first. Integers are varints; a slice's
// length is written one more than it is, 0 standing for nil.
func Encode(mod *ast.Module, src string) ([]byte, error) {
	if mod == nil || mod.Package == nil {
		return nil, errors.New("encode module: no package")
	}
	file := ""
	if mod.Package.Location != nil {
		file = mod.Package.Location.File
	}
	e := &encoder{src: src, file: file, strs: map[string]int{}, locIdx: map[*ast.Location]int{}, termIdx: map[*ast.Term]int{}, tabsIdx: map[unsafe.Pointer]int{}, seen: map[unsafe.Pointer]bool{}}
	if err := e.module(mod); err != nil {
		return nil, fmt.Errorf("encode module %s: %w", file, err)
	}
	var out []byte
	out = append(out, version)
	out = binary.AppendUvarint(out, uint64(len(e.strList)))
	for _, s := range e.strList {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range e.strList {
		out = append(out, s...)
	}
	out = binary.AppendUvarint(out, uint64(len(e.tabsArr)))
	for _, tabs := range e.tabsArr {
		out = binary.AppendUvarint(out, uint64(len(tabs)))
		for _, t := range tabs {
			out = binary.AppendVarint(out, int64(t))
		}
	}
	for _, n := range []int{len(e.locIdx), len(e.termIdx), e.exprs, e.comments, e.termSlots, e.exprSlots, e.rules} {
		out = binary.AppendUvarint(out, uint64(n))
	}
	return append(out, e.buf...), nil
}

type encoder struct {
	src, file  string
	buf        []byte
	strs       map[string]int
	strList    []string
	locIdx     map[*ast.Location]int
	termIdx    map[*ast.Term]int
	exprs      int
	comments   int
	rules      int                     // rules, else branches included
	termSlots  int                     // elements of every term list (references, calls, arguments, arrays, sets)
	exprSlots  int                     // elements of every body
	seen       map[unsafe.Pointer]bool // every other node and slice array met, to refuse sharing
	tabsIdx    map[unsafe.Pointer]int  // tabs arrays by their first element
	tabsArr    [][]int                 // each tabs array, as long as its longest use
	lastRow    int                     // the row and offset of the location written last
	lastOffset int
	mod        *ast.Module
}

func (e *encoder) uint(n int) {
	e.buf = binary.AppendUvarint(e.buf, uint64(n))
}

func (e *encoder) int(n int) {
	e.buf = binary.AppendVarint(e.buf, int64(n))
}

func (e *encoder) byte(b byte) { e.buf = append(e.buf, b) }

func (e *encoder) str(s string) {
	i, ok := e.strs[s]
	if !ok {
		i = len(e.strList)
		e.strs[s] = i
		e.strList = append(e.strList, s)
	}
	e.uint(i)
}

// once records a node or a slice's array; a second meeting is an error (a sharing the
// decoder would not restore).
func (e *encoder) once(p unsafe.Pointer, what string) error {
	if p == nil {
		return nil
	}
	if e.seen[p] {
		return fmt.Errorf("%s shared between two places", what)
	}
	e.seen[p] = true
	return nil
}

// sliceLen writes a slice's length, one more than it is (0 for nil), and records its array.
func sliceLen[T any](e *encoder, s []T, what string) error {
	if s == nil {
		e.uint(0)
		return nil
	}
	e.uint(len(s) + 1)
	if len(s) > 0 {
		return e.once(unsafe.Pointer(unsafe.SliceData(s)), what)
	}
	return nil
}

func (e *encoder) module(mod *ast.Module) error {
	e.mod = mod
	if len(mod.Annotations) > 0 {
		return errors.New("module has annotations (parse it without ProcessAnnotation)")
	}
	span := mod.RegoVersionSpan()
	e.uint(int(span.Min()))
	e.uint(int(span.Max()))
	if err := e.loc(mod.Package.Location); err != nil {
		return err
	}
	if err := e.terms(mod.Package.Path, "package path"); err != nil {
		return err
	}
	if err := sliceLen(e, mod.Imports, "imports"); err != nil {
		return err
	}
	for _, imp := range mod.Imports {
		if imp == nil {
			return errors.New("nil import")
		}
		if err := e.term(imp.Path); err != nil {
			return err
		}
		e.str(string(imp.Alias))
		if err := e.loc(imp.Location); err != nil {
			return err
		}
		if err := e.loc(imp.AliasLocation); err != nil {
			return err
		}
	}
	if err := sliceLen(e, mod.Rules, "rules"); err != nil {
		return err
	}
	for _, r := range mod.Rules {
		if err := e.rule(r); err != nil {
			return err
		}
	}
	if err := sliceLen(e, mod.Comments, "comments"); err != nil {
		return err
	}
	for _, c := range mod.Comments {
		if c == nil {
			return errors.New("nil comment")
		}
		if err := e.once(unsafe.Pointer(c), "comment"); err != nil {
			return err
		}
		e.comments++
		if err := e.loc(c.Location); err != nil {
			return err
		}
		base := 0
		if c.Location != nil {
			base = c.Location.Offset
		}
		if err := e.text(c.Text, base, "comment"); err != nil {
			return err
		}
	}
	return nil
}

// text writes a comment's text, a slice of the source at or after base (its location's
// offset): nil, or its distance from base and its length. Text found nowhere there is refused.
func (e *encoder) text(b []byte, base int, what string) error {
	if b == nil {
		e.uint(0)
		return nil
	}
	if base < 0 || base > len(e.src) {
		return fmt.Errorf("%s offset %d outside the source", what, base)
	}
	i := strings.Index(e.src[base:], string(b))
	if i < 0 {
		return fmt.Errorf("%s text %q is not part of the source after offset %d", what, b, base)
	}
	e.uint(i + 1)
	e.uint(len(b))
	return nil
}

func (e *encoder) rule(r *ast.Rule) error {
	if r == nil {
		return errors.New("nil rule")
	}
	if err := e.once(unsafe.Pointer(r), "rule"); err != nil {
		return err
	}
	e.rules++
	if len(r.Annotations) > 0 {
		return errors.New("rule has annotations (parse it without ProcessAnnotation)")
	}
	if r.Module != nil && r.Module != e.mod {
		return errors.New("rule points to another module")
	}
	h := r.Head
	if h == nil {
		return errors.New("rule without head")
	}
	if err := e.once(unsafe.Pointer(h), "rule head"); err != nil {
		return err
	}
	var flags byte
	if r.Default {
		flags |= flagDefault
	}
	if h.Assign {
		flags |= flagAssign
	}
	if r.Module != nil {
		flags |= flagInModule
	}
	e.byte(flags)
	if err := e.loc(r.Location); err != nil {
		return err
	}
	e.str(string(h.Name))
	if err := e.terms(h.Reference, "head reference"); err != nil {
		return err
	}
	if err := e.terms(h.Args, "head args"); err != nil {
		return err
	}
	if err := e.term(h.Key); err != nil {
		return err
	}
	if err := e.term(h.Value); err != nil {
		return err
	}
	if err := e.loc(h.Location); err != nil {
		return err
	}
	if err := e.body(r.Body); err != nil {
		return err
	}
	if r.Else == nil {
		e.byte(0)
		return nil
	}
	e.byte(1)
	return e.rule(r.Else)
}

func (e *encoder) body(b ast.Body) error {
	if err := sliceLen(e, b, "body"); err != nil {
		return err
	}
	e.exprSlots += len(b)
	for _, x := range b {
		if err := e.expr(x); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) expr(x *ast.Expr) error {
	if x == nil {
		return errors.New("nil expression")
	}
	if err := e.once(unsafe.Pointer(x), "expression"); err != nil {
		return err
	}
	e.exprs++
	if err := parserState(x); err != nil {
		return err
	}
	var flags byte
	if x.Generated {
		flags |= flagGenerated
	}
	if x.Negated {
		flags |= flagNegated
	}
	e.byte(flags)
	e.int(x.Index)
	if err := e.loc(x.Location); err != nil {
		return err
	}
	if err := sliceLen(e, x.With, "with modifiers"); err != nil {
		return err
	}
	for _, w := range x.With {
		if w == nil {
			return errors.New("nil with modifier")
		}
		if err := e.once(unsafe.Pointer(w), "with modifier"); err != nil {
			return err
		}
		if err := e.term(w.Target); err != nil {
			return err
		}
		if err := e.term(w.Value); err != nil {
			return err
		}
		if err := e.loc(w.Location); err != nil {
			return err
		}
	}
	switch t := x.Terms.(type) {
	case *ast.Term:
		e.byte(exprTerm)
		return e.term(t)
	case []*ast.Term:
		e.byte(exprCall)
		return e.terms(t, "call")
	case *ast.SomeDecl:
		if err := e.once(unsafe.Pointer(t), "some declaration"); err != nil {
			return err
		}
		e.byte(exprSome)
		if err := e.terms(t.Symbols, "some symbols"); err != nil {
			return err
		}
		return e.loc(t.Location)
	case *ast.Every:
		if err := e.once(unsafe.Pointer(t), "every"); err != nil {
			return err
		}
		e.byte(exprEvery)
		for _, term := range []*ast.Term{t.Key, t.Value, t.Domain} {
			if err := e.term(term); err != nil {
				return err
			}
		}
		if err := e.body(t.Body); err != nil {
			return err
		}
		return e.loc(t.Location)
	case *ast.Not:
		e.byte(exprNot)
		return e.not(t)
	case *ast.LogicalAnd:
		if err := e.once(unsafe.Pointer(t), "and"); err != nil {
			return err
		}
		e.byte(exprAnd)
		return e.logical(t.Lhs, t.Rhs, t.ExplicitLhs, t.ExplicitRhs, t.Location)
	case *ast.LogicalOr:
		if err := e.once(unsafe.Pointer(t), "or"); err != nil {
			return err
		}
		e.byte(exprOr)
		return e.logical(t.Lhs, t.Rhs, t.ExplicitLhs, t.ExplicitRhs, t.Location)
	default:
		return fmt.Errorf("expression of kind %T", x.Terms)
	}
}

func (e *encoder) not(n *ast.Not) error {
	if n == nil {
		return errors.New("nil not")
	}
	if err := e.once(unsafe.Pointer(n), "not"); err != nil {
		return err
	}
	e.byte(boolByte(n.ExplicitBody))
	if err := e.body(n.Body); err != nil {
		return err
	}
	return e.loc(n.Location)
}

func (e *encoder) logical(lhs, rhs ast.Body, explicitLhs, explicitRhs bool, loc *ast.Location) error {
	e.byte(boolByte(explicitLhs) | boolByte(explicitRhs)<<1)
	if err := e.body(lhs); err != nil {
		return err
	}
	if err := e.body(rhs); err != nil {
		return err
	}
	return e.loc(loc)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func (e *encoder) loc(l *ast.Location) error {
	if l == nil {
		e.byte(ptrNil)
		return nil
	}
	if i, ok := e.locIdx[l]; ok {
		e.byte(ptrRef)
		e.uint(i)
		return nil
	}
	e.locIdx[l] = len(e.locIdx)
	e.byte(ptrNew)
	var flags byte
	if l.File == e.file {
		flags |= locOwnFile
	}
	if l.Text != nil {
		flags |= locText
	}
	if l.Tabs != nil {
		flags |= locTabs
	}
	e.byte(flags)
	// Row and offset as differences from the location written before, which is near.
	e.int(l.Row - e.lastRow)
	e.int(l.Col)
	e.int(l.Offset - e.lastOffset)
	e.lastRow, e.lastOffset = l.Row, l.Offset
	if flags&locOwnFile == 0 {
		e.str(l.File)
	}
	if l.Text != nil {
		// The parser's text starts at the location's offset in the source.
		if l.Offset < 0 || l.Offset+len(l.Text) > len(e.src) || e.src[l.Offset:l.Offset+len(l.Text)] != string(l.Text) {
			return fmt.Errorf("location %d:%d: text %q is not the source at offset %d", l.Row, l.Col, l.Text, l.Offset)
		}
		e.uint(len(l.Text))
	}
	if l.Tabs != nil {
		e.tabs(l.Tabs)
	}
	return nil
}

// tabs writes a location's tabs as a prefix of an array in the header's table: the parser's
// scanner keeps one tabs buffer that it empties at every line and appends to, and a location
// holds a slice of it, so the locations share its array (with the contents it had last) as
// they do after decoding. An empty slice is written as array 0.
func (e *encoder) tabs(tabs []int) {
	if len(tabs) == 0 {
		e.uint(0)
		e.uint(0)
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(tabs))
	i, ok := e.tabsIdx[p]
	if !ok {
		i = len(e.tabsArr)
		e.tabsIdx[p] = i
		e.tabsArr = append(e.tabsArr, tabs)
	}
	if len(tabs) > len(e.tabsArr[i]) {
		e.tabsArr[i] = tabs
	}
	e.uint(i + 1)
	e.uint(len(tabs))
}

func (e *encoder) terms(ts []*ast.Term, what string) error {
	if err := sliceLen(e, ts, what); err != nil {
		return err
	}
	e.termSlots += len(ts)
	for _, t := range ts {
		if t == nil {
			return fmt.Errorf("nil term in %s", what)
		}
		if err := e.term(t); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) term(t *ast.Term) error {
	switch t {
	case nil:
		e.byte(ptrNil)
		return nil
	case ast.InternedBooleanTrue:
		e.byte(termTrue)
		return nil
	}
	if i, ok := e.termIdx[t]; ok {
		if !scalar(t.Value) {
			return fmt.Errorf("term %v of kind %T shared between two places", t, t.Value)
		}
		e.byte(ptrRef)
		e.uint(i)
		return nil
	}
	e.termIdx[t] = len(e.termIdx)
	e.byte(ptrNew)
	if err := e.loc(t.Location); err != nil {
		return err
	}
	return e.value(t.Value)
}

func (e *encoder) value(v ast.Value) error {
	switch v := v.(type) {
	case ast.Null:
		e.byte(valNull)
	case ast.Boolean:
		if v {
			e.byte(valTrue)
		} else {
			e.byte(valFalse)
		}
	case ast.Number:
		e.byte(valNumber)
		e.str(string(v))
	case ast.String:
		e.byte(valString)
		e.str(string(v))
	case ast.Var:
		e.byte(valVar)
		e.str(string(v))
	case ast.Ref:
		e.byte(valRef)
		return e.terms(v, "reference")
	case ast.Call:
		e.byte(valCall)
		return e.terms(v, "call")
	case *ast.Array:
		if err := e.once(unsafe.Pointer(v), "array"); err != nil {
			return err
		}
		e.byte(valArray)
		elems, err := arrayElems(v)
		if err != nil {
			return err
		}
		return e.terms(elems, "array")
	case ast.Object:
		keys, values, err := objectElems(v)
		if err != nil {
			return err
		}
		e.byte(valObject)
		e.uint(len(keys))
		for i := range keys {
			if err := e.term(keys[i]); err != nil {
				return err
			}
			if err := e.term(values[i]); err != nil {
				return err
			}
		}
	case ast.Set:
		elems, err := setElems(v)
		if err != nil {
			return err
		}
		e.byte(valSet)
		return e.termList(elems, "set")
	case *ast.ArrayComprehension:
		if err := e.once(unsafe.Pointer(v), "array comprehension"); err != nil {
			return err
		}
		e.byte(valArrayCompr)
		if err := e.term(v.Term); err != nil {
			return err
		}
		return e.body(v.Body)
	case *ast.SetComprehension:
		if err := e.once(unsafe.Pointer(v), "set comprehension"); err != nil {
			return err
		}
		e.byte(valSetCompr)
		if err := e.term(v.Term); err != nil {
			return err
		}
		return e.body(v.Body)
	case *ast.ObjectComprehension:
		if err := e.once(unsafe.Pointer(v), "object comprehension"); err != nil {
			return err
		}
		e.byte(valObjectCompr)
		if err := e.term(v.Key); err != nil {
			return err
		}
		if err := e.term(v.Value); err != nil {
			return err
		}
		return e.body(v.Body)
	case *ast.TemplateString:
		if err := e.once(unsafe.Pointer(v), "template string"); err != nil {
			return err
		}
		e.byte(valTemplate)
		e.byte(boolByte(v.MultiLine))
		if err := sliceLen(e, v.Parts, "template string parts"); err != nil {
			return err
		}
		for _, p := range v.Parts {
			switch p := p.(type) {
			case *ast.Term:
				e.byte(partTerm)
				if err := e.term(p); err != nil {
					return err
				}
			case *ast.Expr:
				e.byte(partExpr)
				if err := e.expr(p); err != nil {
					return err
				}
			default:
				return fmt.Errorf("template string part of kind %T", p)
			}
		}
	default:
		return fmt.Errorf("value of kind %T", v)
	}
	return nil
}

// termList writes a list of non-nil terms: its length, then the terms.
func (e *encoder) termList(ts []*ast.Term, what string) error {
	e.uint(len(ts))
	e.termSlots += len(ts)
	for _, t := range ts {
		if t == nil {
			return fmt.Errorf("nil term in %s", what)
		}
		if err := e.term(t); err != nil {
			return err
		}
	}
	return nil
}

// compilerFields are the expression's unexported fields the compiler sets and the parser
// leaves zero; the codec does not write them.
var compilerFields = []string{"generatedFrom", "generates", "fromAssignment"}

// parserState returns an error when x carries state the compiler set: a compiled module is
// not what the codec writes.
func parserState(x *ast.Expr) error {
	v := reflect.ValueOf(x).Elem()
	for _, name := range compilerFields {
		f := v.FieldByName(name)
		if !f.IsValid() {
			return fmt.Errorf("expression without its %s field", name)
		}
		if !f.IsZero() {
			return fmt.Errorf("expression with %s set (a compiled module)", name)
		}
	}
	return nil
}

// arrayElems returns the array's own slice of elements, nil when it is (ast.NewArray keeps
// the slice it is given, so that the parser's empty array has none).
func arrayElems(a *ast.Array) ([]*ast.Term, error) {
	f := reflect.ValueOf(a).Elem().FieldByName("elems")
	if !f.IsValid() || f.Type() != reflect.TypeFor[[]*ast.Term]() {
		return nil, errors.New("array without its elements slice")
	}
	if f.IsNil() {
		return nil, nil
	}
	elems := unsafe.Slice((**ast.Term)(f.UnsafePointer()), f.Len())
	if len(elems) != a.Len() {
		return nil, fmt.Errorf("array of %d elements holds %d", a.Len(), len(elems))
	}
	return elems, nil
}

// objectElems returns an object's keys and values in insertion order, the order
// ast.NewObject is given them: the object's exported iterators sort its keys in place first,
// which would change the module being encoded.
func objectElems(o ast.Object) (keys, values []*ast.Term, err error) {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Type().Name() != "object" {
		return nil, nil, fmt.Errorf("object of kind %T", o)
	}
	elems := v.Elem().FieldByName("keys")
	if !elems.IsValid() || elems.Kind() != reflect.Slice {
		return nil, nil, errors.New("object without its keys slice")
	}
	for i := range elems.Len() {
		el := elems.Index(i)
		if el.IsNil() {
			return nil, nil, errors.New("nil object element")
		}
		k, val := el.Elem().FieldByName("key"), el.Elem().FieldByName("value")
		next := el.Elem().FieldByName("next")
		if !k.IsValid() || !val.IsValid() || !next.IsValid() || k.Type() != termPtr || val.Type() != termPtr {
			return nil, nil, errors.New("object element of an unknown form")
		}
		keys = append(keys, (*ast.Term)(k.UnsafePointer()))
		values = append(values, (*ast.Term)(val.UnsafePointer()))
	}
	if len(keys) != o.Len() {
		return nil, nil, fmt.Errorf("object of %d elements holds %d keys", o.Len(), len(keys))
	}
	return keys, values, nil
}

// setElems returns a set's elements in insertion order (as objectElems).
func setElems(s ast.Set) ([]*ast.Term, error) {
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Pointer || v.Elem().Type().Name() != "set" {
		return nil, fmt.Errorf("set of kind %T", s)
	}
	keys := v.Elem().FieldByName("keys")
	if !keys.IsValid() || keys.Kind() != reflect.Slice || keys.Type().Elem() != termPtr {
		return nil, errors.New("set without its keys slice")
	}
	out := make([]*ast.Term, keys.Len())
	for i := range out {
		out[i] = (*ast.Term)(keys.Index(i).UnsafePointer())
	}
	if len(out) != s.Len() {
		return nil, fmt.Errorf("set of %d elements holds %d keys", s.Len(), len(out))
	}
	return out, nil
}

var termPtr = reflect.TypeFor[*ast.Term]()

// scalar reports whether v is a value without terms in it: the only kind of term shared.
func scalar(v ast.Value) bool {
	switch v.(type) {
	case ast.Null, ast.Boolean, ast.Number, ast.String, ast.Var:
		return true
	}
	return false
}

// Decode returns the module Encode wrote into b, for the module named file parsed from src.
// The locations' and comments' texts are slices of one copy of src.
func Decode(b []byte, file, src string) (*ast.Module, error) {
	return DecodeAliasing(b, file, []byte(src))
}

// DecodeAliasing is Decode with the texts slicing src itself, which the caller must not
// change afterwards: for a loader that owns the bytes it read the source into.
func DecodeAliasing(b []byte, file string, src []byte) (*ast.Module, error) {
	d := &decoder{b: b, file: file, src: src}
	mod, err := d.module()
	if err != nil {
		return nil, fmt.Errorf("decode module %s: %w", file, err)
	}
	if d.err != nil {
		return nil, fmt.Errorf("decode module %s: %w", file, d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("decode module %s: %d bytes left over", file, len(d.b))
	}
	return mod, nil
}

var errTruncated = errors.New("truncated or corrupt input")

// decoder reads an encoding. Its first error sticks: every later read returns zero values,
// and every count read after it is zero, so nothing loops or allocates on a bad input.
type decoder struct {
	b    []byte
	err  error
	file string
	src  []byte
	strs []string
	tabs [][]int // the tabs arrays locations share

	lastRow, lastOffset int // the row and offset of the location decoded last
	mod                 *ast.Module

	locIdx  []*ast.Location // every location decoded, by index
	termIdx []*ast.Term     // every term decoded, by index

	// Slabs the nodes are taken from, sized by the header's counts.
	locSlab     []ast.Location
	termSlab    []ast.Term
	exprSlab    []ast.Expr
	commentSlab []ast.Comment
	ruleSlab    []ast.Rule
	headSlab    []ast.Head
	termSlots   []*ast.Term // the arrays of term lists
	exprSlots   []*ast.Expr // the arrays of bodies

	// boxed holds each string of the table as a Number, String and Var value once made: the
	// values are immutable, so every term of the same value can hold the same interface.
	boxed []ast.Value
}

// termSlice returns the next n elements of the term lists' slab, capped so that an append
// copies.
func (d *decoder) termSlice(n int) []*ast.Term {
	if n > len(d.termSlots) {
		d.fail(errors.New("more list elements than counted"))
		return nil
	}
	s := d.termSlots[:n:n]
	d.termSlots = d.termSlots[n:]
	return s
}

// exprSlice is termSlice for bodies.
func (d *decoder) exprSlice(n int) []*ast.Expr {
	if n > len(d.exprSlots) {
		d.fail(errors.New("more body elements than counted"))
		return nil
	}
	s := d.exprSlots[:n:n]
	d.exprSlots = d.exprSlots[n:]
	return s
}

// Kinds of boxed values.
const (
	boxNumber = iota
	boxString
	boxVar
)

// scalar returns the value of the given kind for the next string of the table.
func (d *decoder) scalar(kind int) ast.Value {
	i := d.uint()
	if i >= len(d.strs) {
		d.fail(fmt.Errorf("string %d of %d", i, len(d.strs)))
		return nil
	}
	if v := d.boxed[3*i+kind]; v != nil {
		return v
	}
	var v ast.Value
	switch kind {
	case boxNumber:
		v = ast.Number(d.strs[i])
	case boxString:
		v = ast.String(d.strs[i])
	default:
		v = ast.Var(d.strs[i])
	}
	d.boxed[3*i+kind] = v
	return v
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) uint() int {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > math.MaxInt32 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[k:]
	return int(n)
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	n, k := binary.Varint(d.b)
	if k <= 0 || n > math.MaxInt32 || n < math.MinInt32 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[k:]
	return int(n)
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail(errTruncated)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// count reads a count of items each taking at least one byte of the input left: a larger
// count is corrupt.
func (d *decoder) count() int {
	n := d.uint()
	if n > len(d.b) {
		d.fail(fmt.Errorf("count %d exceeds the %d bytes left", n, len(d.b)))
		return 0
	}
	return n
}

// sliceLen reads a length written by sliceLen: -1 for nil.
func (d *decoder) sliceLen() int {
	n := d.uint()
	if n == 0 || d.err != nil {
		return -1
	}
	if n-1 > len(d.b) {
		d.fail(fmt.Errorf("length %d exceeds the %d bytes left", n-1, len(d.b)))
		return -1
	}
	return n - 1
}

func (d *decoder) str() string {
	i := d.uint()
	if i >= len(d.strs) {
		d.fail(fmt.Errorf("string %d of %d", i, len(d.strs)))
		return ""
	}
	return d.strs[i]
}

func (d *decoder) module() (*ast.Module, error) {
	if d.byte() != version {
		return nil, errors.New("not an encoding of this version")
	}
	n := d.count()
	lens := make([]int, n)
	total := 0
	for i := range lens {
		lens[i] = d.uint()
		total += lens[i]
		if total > len(d.b) {
			d.fail(errTruncated)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	// One copy of the table's bytes: every string of the module is a slice of it.
	all := string(d.b[:total])
	d.b = d.b[total:]
	d.strs = make([]string, n)
	for i, l := range lens {
		d.strs[i], all = all[:l], all[l:]
	}
	d.tabs = make([][]int, d.count())
	for i := range d.tabs {
		d.tabs[i] = make([]int, d.count())
		for j := range d.tabs[i] {
			d.tabs[i][j] = d.int()
		}
	}
	nLocs, nTerms, nExprs, nComments, nTermSlots, nExprSlots, nRules := d.count(), d.count(), d.count(), d.count(), d.count(), d.count(), d.count()
	if d.err != nil {
		return nil, d.err
	}
	d.termSlots = make([]*ast.Term, nTermSlots)
	d.exprSlots = make([]*ast.Expr, nExprSlots)
	d.boxed = make([]ast.Value, 3*len(d.strs))
	d.ruleSlab = make([]ast.Rule, nRules)
	d.headSlab = make([]ast.Head, nRules)
	d.locSlab = make([]ast.Location, nLocs)
	d.termSlab = make([]ast.Term, nTerms)
	d.exprSlab = make([]ast.Expr, nExprs)
	d.commentSlab = make([]ast.Comment, nComments)
	d.locIdx = make([]*ast.Location, 0, nLocs)
	d.termIdx = make([]*ast.Term, 0, nTerms)

	mod := &ast.Module{Package: &ast.Package{}}
	d.mod = mod
	lo, hi := ast.RegoVersion(d.uint()), ast.RegoVersion(d.uint())
	span, err := ast.NewRegoVersionSpan(lo, hi)
	if err != nil {
		d.fail(err)
	}
	mod.SetRegoVersionSpan(span)
	mod.Package.Location = d.loc()
	mod.Package.Path = d.nonEmpty(d.terms())
	if n := d.sliceLen(); n >= 0 {
		mod.Imports = make([]*ast.Import, n)
		imps := make([]ast.Import, n)
		for i := range imps {
			imp := &imps[i]
			imp.Path = d.need(d.term())
			imp.Alias = ast.Var(d.str())
			imp.Location = d.loc()
			imp.AliasLocation = d.loc()
			mod.Imports[i] = imp
		}
	}
	if n := d.sliceLen(); n >= 0 {
		mod.Rules = make([]*ast.Rule, n)
		for i := range mod.Rules {
			mod.Rules[i] = d.rule(0)
		}
	}
	if n := d.sliceLen(); n >= 0 {
		mod.Comments = make([]*ast.Comment, n)
		for i := range mod.Comments {
			c := d.comment()
			if c == nil {
				break
			}
			c.Location = d.loc()
			base := 0
			if c.Location != nil {
				base = c.Location.Offset
			}
			c.Text = d.text(base)
			mod.Comments[i] = c
		}
	}
	return mod, d.err
}

func (d *decoder) comment() *ast.Comment {
	if len(d.commentSlab) == 0 {
		d.fail(errors.New("more comments than counted"))
		return nil
	}
	c := &d.commentSlab[0]
	d.commentSlab = d.commentSlab[1:]
	return c
}

// text reads what encoder.text wrote: a slice of the source, capped at its length so that
// an append to it copies.
func (d *decoder) text(base int) []byte {
	i := d.uint()
	if i == 0 {
		return nil
	}
	l := d.uint()
	start := base + i - 1
	if d.err != nil || base < 0 || start > len(d.src) || l > len(d.src)-start {
		d.fail(errors.New("text outside the source"))
		return nil
	}
	return d.src[start : start+l : start+l]
}

// maxDepth caps the nesting of rules (else chains), bodies and terms: a corrupt input
// cannot exhaust the stack.
const maxDepth = 1000

func (d *decoder) rule(depth int) *ast.Rule {
	if d.err != nil {
		return nil
	}
	if depth > maxDepth {
		d.fail(errors.New("else chain too deep"))
		return nil
	}
	if len(d.ruleSlab) == 0 || len(d.headSlab) == 0 {
		d.fail(errors.New("more rules than counted"))
		return nil
	}
	r, h := &d.ruleSlab[0], &d.headSlab[0]
	d.ruleSlab, d.headSlab = d.ruleSlab[1:], d.headSlab[1:]
	r.Head = h
	flags := d.byte()
	r.Default = flags&flagDefault != 0
	h.Assign = flags&flagAssign != 0
	if flags&flagInModule != 0 {
		r.Module = d.mod
	}
	r.Location = d.loc()
	h.Name = ast.Var(d.str())
	h.Reference = d.terms()
	h.Args = d.terms()
	h.Key = d.term()
	h.Value = d.term()
	h.Location = d.loc()
	r.Body = d.body(depth + 1)
	if d.byte() == 1 {
		r.Else = d.rule(depth + 1)
	}
	if d.err != nil {
		return nil
	}
	return r
}

func (d *decoder) body(depth int) ast.Body {
	n := d.sliceLen()
	if n < 0 {
		return nil
	}
	b := ast.Body(d.exprSlice(n))
	for i := range b {
		if b[i] = d.expr(depth + 1); b[i] == nil {
			return nil
		}
	}
	return b
}

func (d *decoder) expr(depth int) *ast.Expr {
	if d.err != nil {
		return nil
	}
	if depth > maxDepth {
		d.fail(errors.New("nesting too deep"))
		return nil
	}
	if len(d.exprSlab) == 0 {
		d.fail(errors.New("more expressions than counted"))
		return nil
	}
	x := &d.exprSlab[0]
	d.exprSlab = d.exprSlab[1:]
	flags := d.byte()
	x.Generated = flags&flagGenerated != 0
	x.Negated = flags&flagNegated != 0
	x.Index = d.int()
	x.Location = d.loc()
	if n := d.sliceLen(); n >= 0 {
		x.With = make([]*ast.With, n)
		ws := make([]ast.With, n)
		for i := range ws {
			w := &ws[i]
			w.Target = d.need(d.term())
			w.Value = d.need(d.term())
			w.Location = d.loc()
			x.With[i] = w
		}
	}
	switch d.byte() {
	case exprTerm:
		x.Terms = d.need(d.termAt(depth + 1))
	case exprCall:
		x.Terms = d.nonEmpty(d.termsAt(depth + 1))
	case exprSome:
		s := &ast.SomeDecl{}
		s.Symbols = d.nonEmpty(d.termsAt(depth + 1))
		s.Location = d.loc()
		x.Terms = s
	case exprEvery:
		ev := &ast.Every{}
		ev.Key = d.termAt(depth + 1)
		ev.Value = d.need(d.termAt(depth + 1))
		ev.Domain = d.need(d.termAt(depth + 1))
		ev.Body = d.body(depth + 1)
		ev.Location = d.loc()
		x.Terms = ev
	case exprNot:
		x.Terms = d.not(depth + 1)
	case exprAnd:
		a := &ast.LogicalAnd{}
		a.Lhs, a.Rhs, a.ExplicitLhs, a.ExplicitRhs, a.Location = d.logical(depth + 1)
		x.Terms = a
	case exprOr:
		o := &ast.LogicalOr{}
		o.Lhs, o.Rhs, o.ExplicitLhs, o.ExplicitRhs, o.Location = d.logical(depth + 1)
		x.Terms = o
	default:
		d.fail(errors.New("unknown expression kind"))
	}
	if d.err != nil {
		return nil
	}
	return x
}

func (d *decoder) not(depth int) *ast.Not {
	n := &ast.Not{}
	n.ExplicitBody = d.byte() == 1
	n.Body = d.body(depth)
	n.Location = d.loc()
	return n
}

func (d *decoder) logical(depth int) (lhs, rhs ast.Body, explicitLhs, explicitRhs bool, loc *ast.Location) {
	flags := d.byte()
	lhs = d.body(depth)
	rhs = d.body(depth)
	return lhs, rhs, flags&1 != 0, flags&2 != 0, d.loc()
}

func (d *decoder) loc() *ast.Location {
	switch d.byte() {
	case ptrNil:
		return nil
	case ptrRef:
		i := d.uint()
		if i >= len(d.locIdx) {
			d.fail(fmt.Errorf("location %d of %d", i, len(d.locIdx)))
			return nil
		}
		return d.locIdx[i]
	case ptrNew:
	default:
		d.fail(errors.New("unknown location tag"))
		return nil
	}
	if len(d.locSlab) == 0 {
		d.fail(errors.New("more locations than counted"))
		return nil
	}
	l := &d.locSlab[0]
	d.locSlab = d.locSlab[1:]
	d.locIdx = append(d.locIdx, l)
	flags := d.byte()
	l.Row = d.lastRow + d.int()
	l.Col = d.int()
	l.Offset = d.lastOffset + d.int()
	d.lastRow, d.lastOffset = l.Row, l.Offset
	if flags&locOwnFile != 0 {
		l.File = d.file
	} else {
		l.File = d.str()
	}
	if flags&locText != 0 {
		n := d.uint()
		if d.err == nil && (l.Offset < 0 || l.Offset > len(d.src) || n > len(d.src)-l.Offset) {
			d.fail(errors.New("location text outside the source"))
			return nil
		}
		if d.err == nil {
			l.Text = d.src[l.Offset : l.Offset+n : l.Offset+n]
		}
	}
	if flags&locTabs != 0 {
		i, n := d.uint(), d.uint()
		switch {
		case d.err != nil:
		case i == 0 && n == 0:
			l.Tabs = emptyTabs
		case i == 0 || i > len(d.tabs) || n > len(d.tabs[i-1]):
			d.fail(errors.New("location tabs outside their array"))
		default:
			l.Tabs = d.tabs[i-1][:n]
		}
	}
	return l
}

// emptyTabs is the tabs of a location on a line without tabs: empty, not nil.
var emptyTabs = []int{}

func (d *decoder) terms() []*ast.Term { return d.termsAt(0) }

// nonEmpty returns ts, failing when it is empty: a list the parser never leaves empty (a
// reference, a call, a package path, a some declaration), whose first term OPA's methods
// take without looking.
func (d *decoder) nonEmpty(ts []*ast.Term) []*ast.Term {
	if len(ts) == 0 {
		d.fail(errors.New("empty reference, call or declaration"))
		return nil
	}
	return ts
}

// need returns t, failing when it is nil: a term the parser always sets (OPA's hashing and
// printing of the node would dereference it).
func (d *decoder) need(t *ast.Term) *ast.Term {
	if t == nil {
		d.fail(errors.New("missing term"))
	}
	return t
}

func (d *decoder) term() *ast.Term { return d.termAt(0) }

func (d *decoder) termsAt(depth int) []*ast.Term {
	n := d.sliceLen()
	if n < 0 {
		return nil
	}
	ts := d.termSlice(n)
	for i := range ts {
		if ts[i] = d.termAt(depth); ts[i] == nil {
			d.fail(errors.New("nil term in a list"))
			return nil
		}
	}
	return ts
}

// termList reads what encoder.termList wrote.
func (d *decoder) termList(depth int) []*ast.Term {
	n := d.count()
	ts := d.termSlice(n)
	for i := range ts {
		if ts[i] = d.termAt(depth); ts[i] == nil {
			d.fail(errors.New("nil term in a list"))
			return nil
		}
	}
	return ts
}

func (d *decoder) termAt(depth int) *ast.Term {
	if d.err != nil {
		return nil
	}
	if depth > maxDepth {
		d.fail(errors.New("nesting too deep"))
		return nil
	}
	switch d.byte() {
	case ptrNil:
		return nil
	case termTrue:
		return ast.InternedBooleanTrue
	case ptrRef:
		i := d.uint()
		if i >= len(d.termIdx) {
			d.fail(fmt.Errorf("term %d of %d", i, len(d.termIdx)))
			return nil
		}
		// Only a scalar is shared (as the parser shares some): a reference to anything else,
		// such as an enclosing term not yet decoded, would make a cycle or a DAG that
		// hashing walks in exponential time.
		if t := d.termIdx[i]; scalar(t.Value) {
			return t
		}
		d.fail(errors.New("reference to a term that is not a scalar"))
		return nil
	case ptrNew:
	default:
		d.fail(errors.New("unknown term tag"))
		return nil
	}
	if len(d.termSlab) == 0 {
		d.fail(errors.New("more terms than counted"))
		return nil
	}
	t := &d.termSlab[0]
	d.termSlab = d.termSlab[1:]
	d.termIdx = append(d.termIdx, t)
	t.Location = d.loc()
	t.Value = d.value(depth + 1)
	if d.err != nil {
		return nil
	}
	return t
}

func (d *decoder) value(depth int) ast.Value {
	switch d.byte() {
	case valNull:
		return ast.InternedNullValue
	case valTrue:
		return ast.InternedBooleanTrueValue
	case valFalse:
		return ast.InternedBooleanFalseValue
	case valNumber:
		return d.scalar(boxNumber)
	case valString:
		return d.scalar(boxString)
	case valVar:
		return d.scalar(boxVar)
	case valRef:
		return ast.Ref(d.nonEmpty(d.termsAt(depth)))
	case valCall:
		return ast.Call(d.nonEmpty(d.termsAt(depth)))
	case valArray:
		ts := d.termsAt(depth)
		if d.err != nil {
			return nil
		}
		return ast.NewArray(ts...)
	case valObject:
		n := d.count()
		kvs := make([][2]*ast.Term, n)
		for i := range kvs {
			kvs[i] = [2]*ast.Term{d.termAt(depth), d.termAt(depth)}
			if d.err != nil {
				return nil
			}
			if kvs[i][0] == nil || kvs[i][1] == nil {
				d.fail(errors.New("nil object key or value"))
				return nil
			}
		}
		return ast.NewObject(kvs...)
	case valSet:
		ts := d.termList(depth)
		if d.err != nil {
			return nil
		}
		return ast.NewSet(ts...)
	case valArrayCompr:
		c := &ast.ArrayComprehension{}
		c.Term = d.need(d.termAt(depth))
		c.Body = d.body(depth)
		return c
	case valSetCompr:
		c := &ast.SetComprehension{}
		c.Term = d.need(d.termAt(depth))
		c.Body = d.body(depth)
		return c
	case valObjectCompr:
		c := &ast.ObjectComprehension{}
		c.Key = d.need(d.termAt(depth))
		c.Value = d.need(d.termAt(depth))
		c.Body = d.body(depth)
		return c
	case valTemplate:
		ts := &ast.TemplateString{MultiLine: d.byte() == 1}
		if n := d.sliceLen(); n >= 0 {
			ts.Parts = make([]ast.Node, n)
			for i := range ts.Parts {
				switch d.byte() {
				case partTerm:
					t := d.termAt(depth)
					if t == nil {
						d.fail(errors.New("nil template string part"))
						return nil
					}
					ts.Parts[i] = t
				case partExpr:
					x := d.expr(depth)
					if x == nil {
						d.fail(errors.New("nil template string part"))
						return nil
					}
					ts.Parts[i] = x
				default:
					d.fail(errors.New("unknown template string part"))
					return nil
				}
			}
		}
		return ts
	default:
		d.fail(errors.New("unknown value kind"))
		return nil
	}
}
