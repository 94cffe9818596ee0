// Package ocsfschema compiles an OCSF event class from the schema's definition sources
// (dictionary.json, events/, objects/, profiles/, categories.json: the layout of the
// ocsf-schema repository) and validates JSON documents against it. It is test support: the
// tests of internal/ocsf and detector validate every finding the detector emits with it, and
// the detector binary does not import it.
//
// Compilation follows the schema's rules: a class's attributes are its own merged over its
// ancestors' (extends), with the attributes of the profiles it $includes tagged with the
// profile's name; each attribute's definition is merged over the dictionary's; enums merge
// the same way (so the Findings classes' activity_id is base_event's 0 and 99 plus finding's
// 1 to 3). Objects compile the same way. A profile's attributes apply only when the document
// names the profile in metadata.profiles.
package ocsfschema

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Attr is a compiled attribute.
type Attr struct {
	Name        string
	Type        string // a dictionary type ("string_t") or an object name
	IsArray     bool
	Requirement string            // required, recommended, optional
	Enum        map[string]string // value -> caption
	Sibling     string
	Profile     string // "" for an attribute every document may carry
	Deprecated  bool
}

// Object is a compiled object or class.
type Object struct {
	Name       string
	Caption    string
	Attrs      map[string]*Attr
	AtLeastOne []string
	JustOne    []string
}

// Class is a compiled event class.
type Class struct {
	Object
	UID          int // class_uid: category uid * 1000 + the class's own uid
	CategoryUID  int
	CategoryName string
	Activities   map[int]string
}

// primitive is a dictionary type.
type primitive struct {
	base   string // string_t, integer_t, long_t, float_t, boolean_t, json_t
	regex  *regexp.Regexp
	maxLen int
	rng    []float64
}

// Schema is a loaded set of definition sources.
type Schema struct {
	dir     string
	dict    map[string]map[string]any
	types   map[string]primitive
	objects map[string]map[string]any // by name
	classes map[string]map[string]any // by name
	cats    map[string]map[string]any

	compiled map[string]*Object
}

// Load reads the definition sources in dir.
func Load(dir string) (*Schema, error) {
	s := &Schema{dir: dir, objects: map[string]map[string]any{}, classes: map[string]map[string]any{}, compiled: map[string]*Object{}}
	var dict map[string]any
	if err := readJSON(filepath.Join(dir, "dictionary.json"), &dict); err != nil {
		return nil, err
	}
	s.dict = asMapOfMaps(dict["attributes"])
	if err := s.loadTypes(dict); err != nil {
		return nil, err
	}
	var cats map[string]any
	if err := readJSON(filepath.Join(dir, "categories.json"), &cats); err != nil {
		return nil, err
	}
	s.cats = asMapOfMaps(cats["attributes"])
	for sub, into := range map[string]map[string]map[string]any{"objects": s.objects, "events": s.classes} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			var def map[string]any
			if err := readJSON(path, &def); err != nil {
				return err
			}
			name, _ := def["name"].(string)
			if name == "" {
				return fmt.Errorf("%s: no name", path)
			}
			into[name] = def
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Schema) loadTypes(dict map[string]any) error {
	s.types = map[string]primitive{}
	defs := asMapOfMaps(asMap(dict["types"])["attributes"])
	for name, d := range defs {
		p := primitive{base: name}
		if b, ok := d["type"].(string); ok {
			p.base = b
		}
		if re, ok := d["regex"].(string); ok {
			r, err := regexp.Compile(re)
			if err != nil {
				return fmt.Errorf("dictionary type %s: regex: %w", name, err)
			}
			p.regex = r
		}
		if n, ok := d["max_len"].(float64); ok {
			p.maxLen = int(n)
		}
		if r, ok := d["range"].([]any); ok && len(r) == 2 {
			p.rng = []float64{r[0].(float64), r[1].(float64)}
		}
		s.types[name] = p
	}
	// Resolve chains (timestamp_t -> long_t) to a base JSON kind.
	for name, p := range s.types {
		for i := 0; i < 5; i++ {
			next, ok := s.types[p.base]
			if !ok || next.base == p.base {
				break
			}
			p.base = next.base
		}
		s.types[name] = p
	}
	return nil
}

// Class compiles the class named name ("detection_finding").
func (s *Schema) Class(name string) (*Class, error) {
	def, ok := s.classes[name]
	if !ok {
		return nil, fmt.Errorf("no class %q in %s", name, s.dir)
	}
	raw, constraints, err := s.merged(def, s.classes, "class")
	if err != nil {
		return nil, err
	}
	obj, err := s.finish(name, def, raw, constraints)
	if err != nil {
		return nil, err
	}
	c := &Class{Object: *obj, Activities: map[int]string{}}
	category := inherited(def, s.classes, "category")
	cat, ok := s.cats[category]
	if !ok {
		return nil, fmt.Errorf("class %s: category %q not in categories.json", name, category)
	}
	c.CategoryUID = int(cat["uid"].(float64))
	c.CategoryName, _ = cat["caption"].(string)
	own, ok := def["uid"].(float64)
	if !ok {
		return nil, fmt.Errorf("class %s: no uid", name)
	}
	c.UID = c.CategoryUID*1000 + int(own)
	for v, caption := range c.Attrs["activity_id"].Enum {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("class %s: activity_id value %q", name, v)
		}
		c.Activities[n] = caption
	}
	// The generated enums: this class's uid, its category, and type_uid per activity.
	c.Attrs["class_uid"].Enum = map[string]string{strconv.Itoa(c.UID): c.Caption}
	c.Attrs["category_uid"].Enum = map[string]string{strconv.Itoa(c.CategoryUID): c.CategoryName}
	types := map[string]string{}
	for a, caption := range c.Activities {
		types[strconv.Itoa(c.UID*100+a)] = c.Caption + ": " + caption
	}
	c.Attrs["type_uid"].Enum = types
	return c, nil
}

// object compiles the object named name.
func (s *Schema) object(name string) (*Object, error) {
	if o, ok := s.compiled[name]; ok {
		return o, nil
	}
	def, ok := s.objects[name]
	if !ok {
		return nil, fmt.Errorf("no object %q", name)
	}
	raw, constraints, err := s.merged(def, s.objects, "object")
	if err != nil {
		return nil, err
	}
	o, err := s.finish(name, def, raw, constraints)
	if err != nil {
		return nil, err
	}
	s.compiled[name] = o
	return o, nil
}

// merged returns the attribute definitions of def merged over its ancestors', and the nearest
// constraints.
func (s *Schema) merged(def map[string]any, all map[string]map[string]any, kind string) (map[string]map[string]any, map[string]any, error) {
	var chain []map[string]any
	for d, n := def, 0; d != nil; n++ {
		if n > 20 {
			return nil, nil, fmt.Errorf("%s %v: extends loop", kind, def["name"])
		}
		chain = append(chain, d)
		parent, _ := d["extends"].(string)
		if parent == "" {
			break
		}
		p, ok := all[parent]
		if !ok {
			return nil, nil, fmt.Errorf("%s %v extends unknown %q", kind, d["name"], parent)
		}
		d = p
	}
	out := map[string]map[string]any{}
	var constraints map[string]any
	for i := len(chain) - 1; i >= 0; i-- {
		d := chain[i]
		attrs := asMap(d["attributes"])
		if inc, ok := attrs["$include"].([]any); ok {
			for _, p := range inc {
				pattrs, pname, err := s.profile(p.(string))
				if err != nil {
					return nil, nil, err
				}
				for k, v := range pattrs {
					v = maps.Clone(v)
					if _, set := v["profile"]; !set {
						v["profile"] = pname
					}
					out[k] = deepMerge(out[k], v)
				}
			}
		}
		for k, v := range attrs {
			if k == "$include" {
				continue
			}
			out[k] = deepMerge(out[k], asMap(v))
		}
		if c, ok := d["constraints"].(map[string]any); ok && len(c) > 0 {
			constraints = c
		}
	}
	return out, constraints, nil
}

func (s *Schema) profile(rel string) (map[string]map[string]any, string, error) {
	var def map[string]any
	if err := readJSON(filepath.Join(s.dir, rel), &def); err != nil {
		return nil, "", err
	}
	name, _ := def["name"].(string)
	return asMapOfMaps(def["attributes"]), name, nil
}

// finish merges each attribute over the dictionary's definition and checks its type exists.
func (s *Schema) finish(name string, def map[string]any, raw map[string]map[string]any, constraints map[string]any) (*Object, error) {
	o := &Object{Name: name, Attrs: map[string]*Attr{}}
	o.Caption, _ = def["caption"].(string)
	for k, v := range raw {
		d, ok := s.dict[k]
		if !ok {
			return nil, fmt.Errorf("%s.%s: not in the dictionary", name, k)
		}
		m := deepMerge(d, v)
		a := &Attr{Name: k, Enum: map[string]string{}}
		a.Type, _ = m["type"].(string)
		a.IsArray, _ = m["is_array"].(bool)
		a.Requirement, _ = m["requirement"].(string)
		if a.Requirement == "" {
			a.Requirement = "optional"
		}
		a.Sibling, _ = m["sibling"].(string)
		a.Profile, _ = m["profile"].(string)
		_, a.Deprecated = m["@deprecated"]
		for ev, e := range asMap(m["enum"]) {
			a.Enum[ev], _ = asMap(e)["caption"].(string)
		}
		if len(a.Enum) == 0 {
			a.Enum = nil
		}
		if _, prim := s.types[a.Type]; !prim && a.Type != "object" {
			if _, ok := s.objects[a.Type]; !ok {
				return nil, fmt.Errorf("%s.%s: unknown type %q", name, k, a.Type)
			}
		}
		o.Attrs[k] = a
	}
	for _, v := range asSlice(constraints["at_least_one"]) {
		o.AtLeastOne = append(o.AtLeastOne, v.(string))
	}
	for _, v := range asSlice(constraints["just_one"]) {
		o.JustOne = append(o.JustOne, v.(string))
	}
	slices.Sort(o.AtLeastOne)
	return o, nil
}

// inherited returns the first value of key along def's extends chain.
func inherited(def map[string]any, all map[string]map[string]any, key string) string {
	for d, n := def, 0; d != nil && n < 20; n++ {
		if v, ok := d[key].(string); ok && v != "" {
			return v
		}
		parent, _ := d["extends"].(string)
		d = all[parent]
	}
	return ""
}

// deepMerge returns base with over merged in: maps merge key by key, anything else in over
// replaces base's value. An explicit null in over (as "profile": null) is kept, replacing.
func deepMerge(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = deepMerge(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func asMapOfMaps(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for k, e := range asMap(v) {
		if m, ok := e.(map[string]any); ok {
			out[k] = m
		} else {
			out[k] = map[string]any{"$value": e}
		}
	}
	return out
}
