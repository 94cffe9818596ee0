package rule

import (
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule/astsnap"
)

// This file holds package annotations read ahead of time. Parsing a module's METADATA YAML is
// about 40% of parsing the embedded pack, and the pack does not change after the binary is
// built, so its annotations are read when it is built (internal/rule/builtin's generated
// table, a Go literal written by internal/rule/prereadgen) and parsing at start skips the
// YAML. An entry is used only for the exact source it was read from: a stale entry (a module
// changed and the table not regenerated) is ignored and the module parsed with its
// annotations, so a table can make a load slower, never different.

// Preread holds modules' package annotations read ahead of time, keyed by file name as Load
// names it (prefix joined with the path in the file system).
type Preread map[string]PrereadModule

// PrereadModule is one module's entry: the length and CRC-32 (IEEE) of its source, and the
// rule it defines (nil for a helper module) with its metadata as validated when the table was
// read. The checksum tells an edited module from the one the entry was read from (the table and
// the modules are built into the same binary, so it guards against a forgotten regeneration,
// not against a forger); SHA-256 of the pack would cost a cold start about 2% of its
// instructions.
//
// AST, when set, is the module itself parsed ahead of time (without its annotations, as
// LoadPreread parses a module with an entry), in internal/rule/astsnap's binary form: Load
// decodes it instead of parsing the source, and parses the source when it does not decode.
// Whoever sets it vouches that it was parsed from the same source as the entry's (ReadSnapshot
// gives each module's size and checksum for that).
type PrereadModule struct {
	Size  int
	CRC32 uint32
	Rule  *PrereadRule
	AST   []byte
}

// PrereadRule is a rule's metadata as Load reads it from the module's METADATA block.
type PrereadRule struct {
	Title       string
	Description string
	Custom      Metadata
}

// matches reports whether the entry was read from src.
func (e PrereadModule) matches(src []byte) bool {
	return e.Size == len(src) && e.CRC32 == crc32.ChecksumIEEE(src)
}

// rule returns the rule the entry says mod defines, or ok false when the entry does not fit
// the module (it defines alert and the entry holds no rule, or the other way round).
func (e PrereadModule) rule(file, team string, mod *ast.Module) (r *Rule, ok bool) {
	if definesAlert(mod) != (e.Rule != nil) {
		return nil, false
	}
	if e.Rule == nil {
		return nil, true
	}
	md := e.Rule.Custom
	md.Title, md.Description = e.Rule.Title, e.Rule.Description
	return &Rule{Metadata: md, Package: strings.TrimPrefix(mod.Package.Path.String(), "data."), File: file, Team: team}, true
}

// ReadPreread reads the package annotations of every module (not tests) under fsys, with file
// names as Load gives them for prefix, and validates them as Load does: what a build stores
// for LoadPreread. A module Load would refuse is an error.
func ReadPreread(prefix string, fsys fs.FS) (Preread, error) {
	out := Preread{}
	err := walkModules(prefix, fsys, func(display string, src []byte) error {
		mod, err := ParseModule(display, string(src))
		if err != nil {
			return err
		}
		r, err := ruleFromModule(display, "", mod, packageAnnotation(mod))
		if err != nil {
			return err
		}
		e := PrereadModule{Size: len(src), CRC32: crc32.ChecksumIEEE(src)}
		if r != nil {
			md := r.Metadata
			md.Title, md.Description = "", ""
			e.Rule = &PrereadRule{Title: r.Title, Description: r.Description, Custom: md}
		}
		out[display] = e
		return nil
	})
	return out, err
}

// Snapshot holds modules parsed ahead of time, keyed by file name as Load names it: what a
// build stores for the AST of LoadPreread's entries.
type Snapshot map[string]SnapshotModule

// SnapshotModule is one module parsed ahead of time: the length and CRC-32 (IEEE) of the
// source it was parsed from, and the module parsed without its annotations, in
// internal/rule/astsnap's binary form.
type SnapshotModule struct {
	Size  int
	CRC32 uint32
	AST   []byte
}

// ReadSnapshot parses every module (not tests) under fsys as LoadPreread parses a module with
// a matching entry (Rego v1, annotations not processed), with file names as Load gives them
// for prefix, and encodes it: what a build stores beside ReadPreread's table.
func ReadSnapshot(prefix string, fsys fs.FS) (Snapshot, error) {
	out := Snapshot{}
	err := walkModules(prefix, fsys, func(display string, src []byte) error {
		mod, err := parseModule(display, string(src), false)
		if err != nil {
			return err
		}
		b, err := astsnap.Encode(mod, string(src))
		if err != nil {
			return fmt.Errorf("snapshot %s: %w", display, err)
		}
		out[display] = SnapshotModule{Size: len(src), CRC32: crc32.ChecksumIEEE(src), AST: b}
		return nil
	})
	return out, err
}

// walkModules calls fn with the name Load gives each module (not tests) under fsys for
// prefix, and its source, in walk order, and stops at the first error.
func walkModules(prefix string, fsys fs.FS, fn func(display string, src []byte) error) error {
	return fs.WalkDir(fsys, ".", func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(file, ".rego") || strings.HasSuffix(file, "_test.rego") {
			return nil
		}
		display := path.Join(prefix, file)
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return fmt.Errorf("read %s: %w", display, err)
		}
		return fn(display, src)
	})
}

// decodeSnapshot returns the module f's entry holds parsed ahead of time, or nil when it
// holds none or it does not decode (then the source is parsed, and the error kept for
// Pack.SnapshotErrors).
func (f *loadFile) decodeSnapshot() *ast.Module {
	if f.pre == nil || f.pre.AST == nil {
		return nil
	}
	mod, err := astsnap.DecodeAliasing(f.pre.AST, f.name, f.raw)
	if err != nil {
		f.snapErr = err
		return nil
	}
	return mod
}
