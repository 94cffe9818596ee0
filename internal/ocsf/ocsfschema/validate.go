package ocsfschema

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Validate checks a JSON document against the class and returns every violation found, each
// naming the attribute's path:
//
//   - every attribute is one the class (or the object) defines, and not deprecated; a
//     profile's attribute only when metadata.profiles names the profile;
//   - required attributes are present (a profile's, when the profile is named);
//   - values have their attribute's type: strings, integers, booleans, arrays, objects;
//     regex, max_len and range of the dictionary types; url_t an absolute URL;
//   - enum attributes hold a listed value, and their sibling caption matches it (for 99,
//     "Other", the sibling holds the source's own value and must be set);
//   - objects meet their at_least_one and just_one constraints;
//   - class_uid = category_uid * 1000 + the class's uid, type_uid = class_uid * 100 +
//     activity_id, and the names (class_name, category_name, activity_name, type_name) are
//     the schema's captions.
func (c *Class) Validate(s *Schema, doc []byte) []error {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return []error{fmt.Errorf("not a JSON object: %w", err)}
	}
	v := &validator{s: s, profiles: map[string]bool{}}
	for _, p := range asSlice(asMap(m["metadata"])["profiles"]) {
		if name, ok := p.(string); ok {
			v.profiles[name] = true
		}
	}
	v.object("", m, &c.Object)
	v.classIDs(c, m)
	return v.errs
}

type validator struct {
	s        *Schema
	profiles map[string]bool
	errs     []error
}

func (v *validator) errorf(path, format string, args ...any) {
	if path == "" {
		path = "(root)"
	}
	v.errs = append(v.errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func (v *validator) object(path string, m map[string]any, o *Object) {
	for _, k := range sortedKeys(m) {
		a, ok := o.Attrs[k]
		p := join(path, k)
		switch {
		case !ok:
			v.errorf(p, "not an attribute of %s", o.Name)
			continue
		case a.Profile != "" && !v.profiles[a.Profile]:
			v.errorf(p, "attribute of profile %q, which metadata.profiles does not name", a.Profile)
		case a.Deprecated:
			v.errorf(p, "deprecated")
		}
		if m[k] == nil {
			v.errorf(p, "null")
			continue
		}
		if a.IsArray {
			arr, ok := m[k].([]any)
			if !ok {
				v.errorf(p, "want an array of %s, got %T", a.Type, m[k])
				continue
			}
			for i, e := range arr {
				v.value(fmt.Sprintf("%s[%d]", p, i), e, a)
			}
			continue
		}
		v.value(p, m[k], a)
		if a.Enum != nil {
			v.enum(path, m, k, a)
		}
	}
	for _, k := range sortedKeys(o.Attrs) {
		a := o.Attrs[k]
		if a.Requirement != "required" || (a.Profile != "" && !v.profiles[a.Profile]) {
			continue
		}
		if _, ok := m[k]; !ok {
			v.errorf(join(path, k), "required by %s, missing", o.Name)
		}
	}
	if len(o.AtLeastOne) > 0 && count(m, o.AtLeastOne) == 0 {
		v.errorf(path, "%s needs at least one of %v", o.Name, o.AtLeastOne)
	}
	if len(o.JustOne) > 0 && count(m, o.JustOne) != 1 {
		v.errorf(path, "%s needs exactly one of %v", o.Name, o.JustOne)
	}
}

func count(m map[string]any, keys []string) int {
	n := 0
	for _, k := range keys {
		if m[k] != nil {
			n++
		}
	}
	return n
}

// enum checks an enum attribute's value and its sibling.
func (v *validator) enum(path string, m map[string]any, k string, a *Attr) {
	p := join(path, k)
	val := fmt.Sprint(m[k])
	caption, ok := a.Enum[val]
	if !ok {
		v.errorf(p, "value %s is not one of %v", val, sortedKeys(a.Enum))
		return
	}
	if a.Sibling == "" {
		return
	}
	sib, present := m[a.Sibling].(string)
	switch {
	case val == "99" && (!present || sib == ""):
		v.errorf(join(path, a.Sibling), "%s is 99 (Other): the sibling must hold the source's value", k)
	case val != "99" && present && sib != caption:
		v.errorf(join(path, a.Sibling), "%q does not match %s %s (%q)", sib, k, val, caption)
	}
}

// value checks one (non-array) value against the attribute's type.
func (v *validator) value(p string, val any, a *Attr) {
	if a.Type == "object" {
		if _, ok := val.(map[string]any); !ok {
			v.errorf(p, "want an object, got %T", val)
		}
		return
	}
	if prim, ok := v.s.types[a.Type]; ok {
		v.primitive(p, val, a.Type, prim)
		return
	}
	m, ok := val.(map[string]any)
	if !ok {
		v.errorf(p, "want a %s object, got %T", a.Type, val)
		return
	}
	o, err := v.s.object(a.Type)
	if err != nil {
		v.errorf(p, "%v", err)
		return
	}
	v.object(p, m, o)
}

func (v *validator) primitive(p string, val any, name string, t primitive) {
	switch t.base {
	case "string_t":
		s, ok := val.(string)
		if !ok {
			v.errorf(p, "want a string (%s), got %T", name, val)
			return
		}
		if !utf8.ValidString(s) {
			v.errorf(p, "not UTF-8")
		}
		if t.regex != nil && !t.regex.MatchString(s) {
			v.errorf(p, "%q does not match %s", s, name)
		}
		if t.maxLen > 0 && len(s) > t.maxLen {
			v.errorf(p, "longer than %s's %d", name, t.maxLen)
		}
		if name == "url_t" {
			if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" {
				v.errorf(p, "%q is not an absolute URL", s)
			}
		}
	case "integer_t", "long_t":
		n, ok := val.(json.Number)
		if !ok {
			v.errorf(p, "want an integer (%s), got %T", name, val)
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			v.errorf(p, "want an integer (%s), got %s", name, n)
			return
		}
		if t.base == "integer_t" && (i > math.MaxInt32 || i < math.MinInt32) {
			v.errorf(p, "%d out of a 32-bit integer's range", i)
		}
		if len(t.rng) == 2 && (float64(i) < t.rng[0] || float64(i) > t.rng[1]) {
			v.errorf(p, "%d out of %s's range %v", i, name, t.rng)
		}
	case "float_t":
		if _, ok := val.(json.Number); !ok {
			v.errorf(p, "want a number (%s), got %T", name, val)
		}
	case "boolean_t":
		if _, ok := val.(bool); !ok {
			v.errorf(p, "want a boolean, got %T", val)
		}
	case "json_t":
	default:
		v.errorf(p, "type %s (base %s) not handled", name, t.base)
	}
}

// classIDs checks the uid arithmetic and the names the schema derives from the ids.
func (v *validator) classIDs(c *Class, m map[string]any) {
	num := func(k string) (int64, bool) {
		n, ok := m[k].(json.Number)
		if !ok {
			return 0, false
		}
		i, err := n.Int64()
		return i, err == nil
	}
	classUID, ok1 := num("class_uid")
	catUID, ok2 := num("category_uid")
	activity, ok3 := num("activity_id")
	typeUID, ok4 := num("type_uid")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		v.errorf("", "class_uid, category_uid, activity_id and type_uid must be integers")
		return
	}
	if classUID != int64(c.UID) || catUID != int64(c.CategoryUID) || classUID/1000 != catUID {
		v.errorf("class_uid", "%d with category_uid %d; want %d = %d*1000 + class uid", classUID, catUID, c.UID, c.CategoryUID)
	}
	if typeUID != classUID*100+activity {
		v.errorf("type_uid", "%d, want class_uid*100 + activity_id = %d", typeUID, classUID*100+activity)
	}
	want := map[string]string{"class_name": c.Caption, "category_name": c.CategoryName}
	if act, ok := c.Activities[int(activity)]; ok && activity != 99 {
		want["activity_name"] = act
		want["type_name"] = c.Caption + ": " + act
	}
	for _, k := range sortedKeys(want) {
		if got, ok := m[k]; ok && got != want[k] {
			v.errorf(k, "%q, want %q", got, want[k])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
