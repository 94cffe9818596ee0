package builtin

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/internal/rule/prereadgen"
	"github.com/trailhound/trailhound/rules"
)

func TestLoad(t *testing.T) {
	first, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	second, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatal("the second Load returned the preloaded pack again: callers must own their pack")
	}
	if len(first.Rules) == 0 || len(first.Rules) != len(second.Rules) || len(first.Modules) != len(second.Modules) {
		t.Fatalf("packs differ: %d rules, %d modules and %d rules, %d modules",
			len(first.Rules), len(first.Modules), len(second.Rules), len(second.Modules))
	}
	for name, m := range first.Modules {
		if second.Modules[name] == m {
			t.Fatalf("%s: the packs share a module", name)
		}
	}
}

var update = flag.Bool("update", false, "rewrite "+prereadgen.BuiltinFile+" from the embedded pack")

// TestPrereadCurrent keeps the generated table equal to the annotations of the embedded pack,
// so that no start parses METADATA YAML (a stale entry would only be ignored, at that cost):
// the table compiled into this test equals what rule.ReadPreread reads from the pack, and the
// file is byte for byte what the generator writes for it. With -update it rewrites the file
// instead, as go generate does.
func TestPrereadCurrent(t *testing.T) {
	want, err := rule.ReadPreread("rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	src, err := prereadgen.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(prereadgen.BuiltinFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	const regenerate = "run go generate ./internal/rule/builtin/ and commit " + prereadgen.BuiltinFile
	if got := prereadTable(); !reflect.DeepEqual(got, want) {
		for name, e := range want {
			if g, ok := got[name]; !ok {
				t.Errorf("%s: missing from the table", name)
			} else if !reflect.DeepEqual(g, e) {
				t.Errorf("%s: table %+v, pack %+v", name, g, e)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s: in the table, not in the pack", name)
			}
		}
		t.Fatal("the generated table is not the embedded pack's annotations: " + regenerate)
	}
	onDisk, err := os.ReadFile(prereadgen.BuiltinFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, src) {
		t.Fatal(prereadgen.BuiltinFile + " is not what the generator writes for the embedded pack: " + regenerate)
	}
}

// TestPrereadLoadsAlike loads the embedded pack with and without the table: the same rules,
// metadata included, and the same modules.
func TestPrereadLoadsAlike(t *testing.T) {
	with, err := rule.LoadPreread("builtin", "builtin", "rules", rules.FS, preread())
	if err != nil {
		t.Fatal(err)
	}
	without, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(preread()) != len(without.Modules) {
		t.Fatalf("the preread table holds %d modules, the pack %d: run go generate ./internal/rule/builtin/ and commit "+prereadgen.BuiltinFile, len(preread()), len(without.Modules))
	}
	if !reflect.DeepEqual(with.Rules, without.Rules) {
		for i := range without.Rules {
			if i < len(with.Rules) && !reflect.DeepEqual(with.Rules[i], without.Rules[i]) {
				t.Errorf("%s: preread %+v, parsed %+v", without.Rules[i].File, with.Rules[i], without.Rules[i])
			}
		}
		t.Fatalf("rules differ: %d preread, %d parsed", len(with.Rules), len(without.Rules))
	}
	for name, m := range without.Modules {
		w, ok := with.Modules[name]
		if !ok {
			t.Fatalf("%s: missing from the preread load", name)
		}
		// The same module but for the annotations, which the preread load leaves unparsed.
		bare := *m
		bare.Annotations = nil
		if !bare.Equal(w) {
			t.Errorf("%s: modules differ", name)
		}
	}
}

// TestPrereadStaleEntryIgnored: an entry whose source changed is not used; the module's own
// METADATA is read.
func TestPrereadStaleEntryIgnored(t *testing.T) {
	pre := rule.Preread{}
	for name, e := range preread() {
		if e.Rule != nil {
			stale := *e.Rule
			stale.Title = "stale title"
			e.Rule = &stale
		}
		e.CRC32 = ^e.CRC32
		pre[name] = e
	}
	p, err := rule.LoadPreread("builtin", "builtin", "rules", rules.FS, pre)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rules {
		if r.Title == "stale title" {
			t.Fatalf("%s: a stale entry was used", r.File)
		}
	}
	// And a matching entry is used: the same table with the real hashes gives its title.
	for name, e := range preread() {
		if e.Rule != nil {
			e2 := pre[name]
			e2.CRC32 = e.CRC32
			pre[name] = e2
		}
	}
	p, err = rule.LoadPreread("builtin", "builtin", "rules", rules.FS, pre)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) == 0 || p.Rules[0].Title != "stale title" {
		t.Fatal("a matching entry was not used")
	}
	// An entry that does not fit its module (no rule for a module that defines alert) is not
	// used either: the module's METADATA is read.
	for name, e := range preread() {
		e.Rule = nil
		pre[name] = e
	}
	p, err = rule.LoadPreread("builtin", "builtin", "rules", rules.FS, pre)
	if err != nil {
		t.Fatal(err)
	}
	without, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Rules, without.Rules) {
		t.Fatal("entries without their rule changed the rules")
	}
}
