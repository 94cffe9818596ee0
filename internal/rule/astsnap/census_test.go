package astsnap

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// fields are the fields of every struct type reachable from ast.Module, as the codec knows
// them: written and read back, set by the constructors the decoder calls (ast.NewArray,
// ast.NewObject, ast.NewSet), parser-only (parserOnly), refused when set (Annotations:
// the snapshot is of modules parsed without them), or left zero by the parser (the
// compiler's Expr bookkeeping, checked zero by TestCensus).
var fields = map[string][]string{
	"ast.Module":              {"Package", "Imports", "Annotations", "Rules", "Comments", "regoVersion"},
	"ast.RegoVersionSpan":     {"min", "max"},
	"ast.Comment":             {"Text", "Location"},
	"ast.Package":             {"Path", "Location"},
	"ast.Import":              {"Path", "Alias", "Location", "AliasLocation"},
	"ast.Rule":                {"Head", "Body", "Else", "Location", "Annotations", "Module", "Default", "generatedBody"},
	"ast.Head":                {"Name", "Reference", "Args", "Key", "Value", "Assign", "Location", "keywords", "generatedValue"},
	"ast.Expr":                {"With", "Terms", "Index", "Generated", "Negated", "Location", "generatedFrom", "generates", "fromAssignment"},
	"ast.With":                {"Target", "Value", "Location"},
	"ast.SomeDecl":            {"Symbols", "Location"},
	"ast.Every":               {"Key", "Value", "Domain", "Body", "Location"},
	"ast.Not":                 {"Body", "ExplicitBody", "Location"},
	"ast.LogicalAnd":          {"Lhs", "Rhs", "ExplicitLhs", "ExplicitRhs", "Location"},
	"ast.LogicalOr":           {"Lhs", "Rhs", "ExplicitLhs", "ExplicitRhs", "Location"},
	"ast.Term":                {"Value", "Location"},
	"location.Location":       {"Text", "File", "Row", "Col", "Offset", "Tabs"},
	"ast.Array":               {"elems", "hashs", "hash", "ground"},
	"ast.object":              {"elems", "keys", "ground", "hash", "sortGuard"},
	"ast.objectElem":          {"key", "value", "next"},
	"ast.set":                 {"elems", "keys", "hash", "ground", "sortGuard"},
	"ast.ArrayComprehension":  {"Term", "Body"},
	"ast.SetComprehension":    {"Term", "Body"},
	"ast.ObjectComprehension": {"Key", "Value", "Body"},
	"ast.TemplateString":      {"Parts", "MultiLine"},
}

// compilerOnly are fields the compiler sets and the parser leaves zero: TestCensus fails
// when a parsed module has one set, since the codec does not write them.
var compilerOnly = map[string]bool{"Expr.generatedFrom": true, "Expr.generates": true, "Expr.fromAssignment": true}

// refused are fields Encode refuses when set.
var refused = map[string]bool{"Module.Annotations": true, "Rule.Annotations": true}

// kinds are the dynamic types the codec writes where the AST holds an interface: the
// values, the terms of an expression, the parts of a template string.
var kinds = map[string][]string{
	"ast.Value": {"ast.Null", "ast.Boolean", "ast.Number", "ast.String", "ast.Var", "ast.Ref", "ast.Call",
		"*ast.Array", "*ast.object", "*ast.set", "*ast.ArrayComprehension", "*ast.SetComprehension",
		"*ast.ObjectComprehension", "*ast.TemplateString"},
	"Expr.Terms": {"*ast.Term", "[]*ast.Term", "*ast.SomeDecl", "*ast.Every", "*ast.Not", "*ast.LogicalAnd", "*ast.LogicalOr"},
	"ast.Node":   {"*ast.Term", "*ast.Expr"},
}

func typeName(t reflect.Type) string {
	return strings.TrimPrefix(t.String(), "*")
}

// TestFieldsKnown fails when a struct reachable from ast.Module has a field the codec does
// not know, or lacks one it does: an OPA upgrade that changes the AST fails here.
func TestFieldsKnown(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Array || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] || !strings.Contains(ty.PkgPath(), "open-policy-agent/opa/v1/ast") {
			return
		}
		seen[ty] = true
		name := typeName(ty)
		if name == "ast.Annotations" {
			return // refused when set
		}
		want, ok := fields[name]
		if !ok {
			t.Errorf("%s: a struct the codec does not know", name)
			return
		}
		var got []string
		for i := range ty.NumField() {
			f := ty.Field(i)
			got = append(got, f.Name)
			if f.Name != "Module" { // the back-pointer, walked from the root
				walk(f.Type)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: fields %v, the codec knows %v", name, got, want)
		}
	}
	walk(reflect.TypeFor[ast.Module]())
	// The interface kinds.
	for _, v := range []any{ast.NewArray(), ast.NewObject(), ast.NewSet(), &ast.ArrayComprehension{}, &ast.SetComprehension{},
		&ast.ObjectComprehension{}, &ast.TemplateString{}, &ast.SomeDecl{}, &ast.Every{}, &ast.Not{}, &ast.LogicalAnd{}, &ast.LogicalOr{}} {
		walk(reflect.TypeOf(v))
	}
	for name := range fields {
		found := false
		for ty := range seen {
			found = found || typeName(ty) == name
		}
		if !found {
			t.Errorf("%s: known to the codec, no longer in the AST", name)
		}
	}
}

// TestCensus walks every module the round-trip tests parse (the embedded pack and the
// synthetic modules) and fails when the parser set a field the codec does not know, left a
// compiler-only field set, or used an interface kind the codec does not write; and when the
// modules do not use every field and kind the codec writes, so that the round-trip tests
// cover the whole codec.
func TestCensus(t *testing.T) {
	srcs := packSources(t)
	for name, src := range synthetic {
		srcs[name] = src
	}
	set := map[string]bool{}   // "Type.field" set somewhere
	used := map[string]bool{}  // "iface=kind" met
	seen := map[uintptr]bool{} // pointers walked
	var walk func(v reflect.Value, iface string)
	walk = func(v reflect.Value, iface string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem(), iface)
		case reflect.Interface:
			if v.IsNil() {
				return
			}
			used[iface+"="+v.Elem().Type().String()] = true
			walk(v.Elem(), "")
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i), iface)
			}
		case reflect.Map:
			iter := v.MapRange()
			for iter.Next() {
				walk(iter.Value(), iface)
			}
		case reflect.Struct:
			ty := v.Type()
			if !strings.Contains(ty.PkgPath(), "open-policy-agent/opa/v1/ast") {
				return
			}
			short := strings.TrimPrefix(strings.TrimPrefix(typeName(ty), "ast."), "location.")
			for i := range ty.NumField() {
				f := ty.Field(i)
				key := short + "." + f.Name
				if !v.Field(i).IsZero() {
					set[key] = true
				}
				sub := ""
				switch {
				case f.Type == reflect.TypeFor[ast.Value]():
					sub = "ast.Value"
				case key == "Expr.Terms":
					sub = "Expr.Terms"
				case f.Type == reflect.TypeFor[[]ast.Node]():
					sub = "ast.Node"
				}
				walk(v.Field(i), sub)
			}
		}
	}
	// Every module is kept until the walk is done: seen holds addresses.
	var mods []*ast.Module
	for name, src := range srcs {
		mods = append(mods, parse(t, name, src))
	}
	for _, m := range mods {
		walk(reflect.ValueOf(m), "")
	}
	knownField := map[string]bool{}
	for ty, fs := range fields {
		short := strings.TrimPrefix(strings.TrimPrefix(ty, "ast."), "location.")
		for _, f := range fs {
			knownField[short+"."+f] = true
		}
	}
	for key := range set {
		switch {
		case !knownField[key]:
			t.Errorf("the parser sets %s, which the codec does not know", key)
		case compilerOnly[key]:
			t.Errorf("the parser sets %s, which the codec does not write", key)
		case refused[key]:
			t.Errorf("the modules have %s, which the codec refuses", key)
		}
	}
	var missing []string
	for key := range knownField {
		if !set[key] && !compilerOnly[key] && !refused[key] && !zeroAllowed[key] {
			missing = append(missing, key)
		}
	}
	knownKind := map[string]bool{}
	for iface, ks := range kinds {
		for _, k := range ks {
			knownKind[iface+"="+k] = true
			if !used[iface+"="+k] {
				missing = append(missing, iface+"="+k)
			}
		}
	}
	for k := range used {
		if !knownKind[k] {
			t.Errorf("the parser makes %s, which the codec does not write", k)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no module the tests round-trip sets %s: add one to the synthetic modules", m)
	}
	if testing.Verbose() {
		t.Log(fmt.Sprint(len(set), " fields and ", len(used), " kinds met"))
	}
}

// zeroAllowed are fields the census need not find set: the decoder does not write them,
// the constructors it calls do. objectElem.next chains keys whose hashes collide (ast.NewObject
// links them as it does for the parser); sortGuard is set once an object or set is first
// iterated in sorted order, which the parser does not do (and a module whose guard was set
// would fail the round-trip comparison).
var zeroAllowed = map[string]bool{"objectElem.next": true, "object.sortGuard": true, "set.sortGuard": true}
