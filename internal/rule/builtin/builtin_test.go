package builtin

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"strings"
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
	// Every module was decoded from the snapshot, none parsed.
	for _, p := range []*rule.Pack{first, second} {
		if err := p.SnapshotErrors(); err != nil {
			t.Fatal(err)
		}
		if p.Snapshotted() != len(p.Modules) {
			t.Fatalf("%d of %d modules decoded from the snapshot: run go generate ./internal/rule/builtin/ and commit %s", p.Snapshotted(), len(p.Modules), prereadgen.SnapshotFile)
		}
	}
}

var update = flag.Bool("update", false, "rewrite "+prereadgen.BuiltinFile+" and "+prereadgen.SnapshotFile+" from the embedded pack")

// TestPrereadCurrent keeps the generated table and snapshot equal to the annotations and
// the parsed modules of the embedded pack, so that no start parses a module (a stale entry
// would only be ignored, at that cost): the table and snapshot compiled into this test equal
// what rule.ReadPreread and rule.ReadSnapshot read from the pack, and both files are byte for
// byte what the generator writes for them. With -update it rewrites the files instead, as
// go generate does.
func TestPrereadCurrent(t *testing.T) {
	want, err := rule.ReadPreread("rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	src, err := prereadgen.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	wantSnap, err := rule.ReadSnapshot("rules", rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	snapSrc, err := prereadgen.BuiltinSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(prereadgen.BuiltinFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(prereadgen.SnapshotFile, snapSrc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	const regenerate = "run go generate ./internal/rule/builtin/ and commit " + prereadgen.BuiltinFile + " and " + prereadgen.SnapshotFile
	if got := astSnapshot(); !reflect.DeepEqual(got, wantSnap) {
		for name, e := range wantSnap {
			if g, ok := got[name]; !ok {
				t.Errorf("%s: missing from the snapshot", name)
			} else if !reflect.DeepEqual(g, e) {
				t.Errorf("%s: the snapshot's entry is not the module's", name)
			}
		}
		for name := range got {
			if _, ok := wantSnap[name]; !ok {
				t.Errorf("%s: in the snapshot, not in the pack", name)
			}
		}
		t.Fatal("the generated snapshot is not the embedded pack's modules: " + regenerate)
	}
	if onDisk, err := os.ReadFile(prereadgen.SnapshotFile); err != nil {
		t.Fatal(err)
	} else if !bytes.Equal(onDisk, snapSrc) {
		t.Fatal(prereadgen.SnapshotFile + " is not what the generator writes for the embedded pack: " + regenerate)
	}
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
	if p.Snapshotted() != 0 {
		t.Fatalf("%d modules decoded from stale entries", p.Snapshotted())
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

// TestSnapshotStaleOrCorrupt: a snapshot entry read from another source is not attached to
// the table, and an encoding that does not decode is parsed instead; either way the pack is
// the one parsed from source.
func TestSnapshotStaleOrCorrupt(t *testing.T) {
	parsed, err := rule.LoadPreread("builtin", "builtin", "rules", rules.FS, prereadTable())
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Snapshotted() != 0 {
		t.Fatalf("%d modules decoded from a table without a snapshot", parsed.Snapshotted())
	}
	stale := rule.Snapshot{}
	for name, s := range astSnapshot() {
		s.CRC32 = ^s.CRC32
		stale[name] = s
	}
	for name, e := range withSnapshot(prereadTable(), stale) {
		if e.AST != nil {
			t.Fatalf("%s: a stale snapshot entry was attached", name)
		}
	}
	corrupt := prereadTable()
	for name, s := range astSnapshot() {
		e := corrupt[name]
		e.AST = s.AST[:len(s.AST)/2]
		corrupt[name] = e
	}
	p, err := rule.LoadPreread("builtin", "builtin", "rules", rules.FS, corrupt)
	if err != nil {
		t.Fatal(err)
	}
	if p.Snapshotted() != 0 {
		t.Fatalf("%d modules decoded from truncated encodings", p.Snapshotted())
	}
	if err := p.SnapshotErrors(); err == nil || !strings.Contains(err.Error(), "truncated or corrupt") {
		t.Fatalf("the truncated encodings' errors: %v", err)
	}
	if n := strings.Count(p.SnapshotErrors().Error(), "\n") + 1; n != len(p.Modules) {
		t.Fatalf("%d errors for %d truncated encodings", n, len(p.Modules))
	}
	if !reflect.DeepEqual(p.Rules, parsed.Rules) || len(p.Modules) != len(parsed.Modules) {
		t.Fatal("the pack loaded past corrupt encodings differs from the parsed one")
	}
	for name, m := range parsed.Modules {
		if !m.Equal(p.Modules[name]) {
			t.Errorf("%s: modules differ", name)
		}
	}
}

// BenchmarkLoad loads the embedded pack as the binary does (snapshot), and as it did before
// the snapshot (parsed without METADATA, the preread table only), for a before/after in one
// run: go test -run '^$' -bench Load -benchmem -cpu 1,2 ./internal/rule/builtin/
func BenchmarkLoad(b *testing.B) {
	b.Run("snapshot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := load(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parsed", func(b *testing.B) {
		pre := prereadTable()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rule.LoadPreread("builtin", "builtin", "rules", rules.FS, pre); err != nil {
				b.Fatal(err)
			}
		}
	})
}
