// Package bundle reads and writes team packs as OPA bundles (github.com/open-policy-agent/
// opa/v1/bundle: a tar.gz with .manifest, data.json, policy files and, when signed,
// .signatures.json holding a JWT over every file's hash). It adds no format of its own:
//
//	/.manifest                   {"revision": "...", "roots": ["teams"], "rego_version": 1}
//	/data.json                   {"teams": {"<team>": <the team file, as JSON>},
//	                              "tuning": <the org tuning file, as JSON; optional>}
//	/teams/<team>/<file>.rego    the pack's rules and helpers (tests are left out)
//	/.signatures.json            when signed
//
// Reading verifies the signature with OPA's verifier when a key is configured: an unsigned
// bundle, a bundle signed by another key, and a bundle with any file added, removed or
// changed after signing are all refused.
package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	opabundle "github.com/open-policy-agent/opa/v1/bundle"

	"github.com/trailhound/trailhound/internal/team"
)

// DefaultMaxBytes bounds a bundle's size: compressed, and the sum of its files uncompressed.
const DefaultMaxBytes = 32 << 20

// root is the top-level data key and the only package root of team packs.
const root = "teams"

// tuningRoot is the data key of the org tuning file (internal/tuning), the only other
// top-level key a bundle may hold.
const tuningRoot = "tuning"

// Options configure Read.
type Options struct {
	// Key verifies the bundle's signature; nil reads bundles without verifying them
	// (a signed bundle is then read unverified).
	Key *Key
	// MaxBytes bounds the bundle's size, compressed and the sum of its files uncompressed;
	// DefaultMaxBytes when zero.
	MaxBytes int64
	// MaxEntries bounds the number of tar entries; DefaultMaxEntries when zero.
	MaxEntries int
}

// Contents are the team packs of a bundle, not yet validated (team.Load).
type Contents struct {
	Revision string
	Sources  []team.Source
	// Tuning is the org tuning file as JSON (nil when the bundle has none), not yet
	// validated (tuning.Load); TuningName names it in messages.
	Tuning     []byte
	TuningName string
}

// Read reads and, with a key, verifies a bundle. name says where it came from in messages
// (s3://bucket/key). It fails for a bundle that does not verify or is not a team bundle;
// a team pack inside it that is invalid is a problem of that pack, found by team.Load.
//
// Before OPA's reader (which buffers every file) sees the bundle, prescan streams it against
// MaxBytes and MaxEntries and, with a key, refuses entries the signature does not cover. Every
// error is a *RefusedError whose Reason names why (RefusalReason).
func Read(r io.Reader, name string, opts Options) (*Contents, error) {
	max := opts.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	maxEntries := opts.MaxEntries
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, refused(ReasonInvalid, name, "read: %v", err)
	}
	if int64(len(data)) > max {
		return nil, refused(ReasonTooLarge, name, "more than %d bytes compressed", max)
	}
	if err := prescan(data, name, opts.Key, max, maxEntries); err != nil {
		return nil, err
	}
	rd := opabundle.NewReader(bytes.NewReader(data)).
		WithSizeLimitBytes(max).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true)
	if opts.Key == nil {
		rd = rd.WithSkipBundleVerification(true)
	} else {
		rd = rd.WithBundleVerificationConfig(verificationConfig(opts.Key))
	}
	b, err := rd.Read()
	if err != nil {
		reason := ReasonInvalid
		if opts.Key != nil && (strings.Contains(err.Error(), "signature") || strings.Contains(err.Error(), "digest mismatch")) {
			reason = ReasonSignature
		}
		return nil, &RefusedError{Reason: reason, Err: fmt.Errorf("bundle %s: %w", name, err)}
	}
	for k := range b.Data {
		if k != root && k != tuningRoot {
			return nil, fmt.Errorf("bundle %s: data.json: top-level key %q: a rules bundle holds data under %q and %q only", name, k, root, tuningRoot)
		}
	}
	teamsData := map[string]any{}
	if v, ok := b.Data[root]; ok {
		if teamsData, ok = v.(map[string]any); !ok {
			return nil, fmt.Errorf("bundle %s: data.json: %s is %T, want an object of team files", name, root, v)
		}
	}
	files := map[string]fstest.MapFS{}
	for _, m := range b.Modules {
		p := strings.TrimPrefix(path.Clean("/"+m.Path), "/")
		parts := strings.SplitN(p, "/", 3)
		if len(parts) != 3 || parts[0] != root {
			return nil, fmt.Errorf("bundle %s: %s: policy files live under %s/<team>/", name, p, root)
		}
		if files[parts[1]] == nil {
			files[parts[1]] = fstest.MapFS{}
		}
		files[parts[1]][parts[2]] = &fstest.MapFile{Data: m.Raw, Mode: 0o444}
	}
	teams := map[string]bool{}
	for t := range teamsData {
		teams[t] = true
	}
	for t := range files {
		teams[t] = true
	}
	c := &Contents{Revision: b.Manifest.Revision}
	if doc, ok := b.Data[tuningRoot]; ok {
		if c.Tuning, err = json.Marshal(doc); err != nil {
			return nil, fmt.Errorf("bundle %s: tuning: %w", name, err)
		}
		c.TuningName = name + "#data.json:" + tuningRoot
	}
	for _, t := range sortedKeys(teams) {
		origin := fmt.Sprintf("%s#%s/%s", name, root, t)
		src := team.Source{Team: t, Origin: origin, TeamFileName: fmt.Sprintf("%s#data.json:%s.%s", name, root, t), FS: files[t]}
		if src.FS == nil {
			src.FS = fstest.MapFS{}
		}
		if doc, ok := teamsData[t]; ok {
			if src.TeamFile, err = json.Marshal(doc); err != nil {
				return nil, fmt.Errorf("bundle %s: team %s: %w", name, t, err)
			}
		}
		c.Sources = append(c.Sources, src)
	}
	if len(c.Sources) == 0 && c.Tuning == nil {
		return nil, fmt.Errorf("bundle %s: holds no team pack and no tuning file", name)
	}
	return c, nil
}

// WriteOptions configure Write.
type WriteOptions struct {
	// Revision is written to the manifest (a commit id, a CI build number).
	Revision string
	// Key signs the bundle (a PEM private key, or an HS* secret); nil writes it unsigned.
	Key *Key
	// Now decides which suppressions have expired.
	Now time.Time
	// Tuning is the org tuning file to carry, as JSON (json.Marshal of a tuning.File the
	// caller validated against the rules it names); nil for none.
	Tuning []byte
}

// Write validates each team pack (team.Load: a bundle is never built from a pack that
// would not load) and writes them as one bundle, signed when a key is given.
func Write(w io.Writer, sources []team.Source, opts WriteOptions) error {
	b := opabundle.Bundle{Data: map[string]any{}}
	teamsData := map[string]any{}
	var errs []error
	for _, src := range sources {
		p, err := team.Load(src, opts.Now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var doc any
		raw, err := json.Marshal(p.File)
		if err == nil {
			err = json.Unmarshal(raw, &doc)
		}
		if err != nil {
			return fmt.Errorf("team %s: encode team file: %w", src.Team, err)
		}
		teamsData[src.Team] = doc
		err = fs.WalkDir(src.FS, ".", func(file string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(file, ".rego") || strings.HasSuffix(file, "_test.rego") {
				return err
			}
			data, err := fs.ReadFile(src.FS, file)
			if err != nil {
				return err
			}
			p := "/" + path.Join(root, src.Team, file)
			b.Modules = append(b.Modules, opabundle.ModuleFile{URL: p, Path: p, Raw: data})
			return nil
		})
		if err != nil {
			return fmt.Errorf("team pack %s: %w", src.Origin, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("not writing a bundle with invalid team packs: %w", errors.Join(errs...))
	}
	roots := []string{root}
	if opts.Tuning != nil {
		var doc any
		if err := json.Unmarshal(opts.Tuning, &doc); err != nil {
			return fmt.Errorf("tuning file: %w", err)
		}
		b.Data[tuningRoot] = doc
		roots = append(roots, tuningRoot)
	}
	if len(teamsData) == 0 && opts.Tuning == nil {
		return errors.New("no team pack or tuning file to bundle")
	}
	slices.SortFunc(b.Modules, func(x, y opabundle.ModuleFile) int { return strings.Compare(x.Path, y.Path) })
	b.Data[root] = teamsData
	b.Manifest.Revision = opts.Revision
	b.Manifest.Roots = &roots
	b.Manifest.SetRegoVersion(ast.RegoV1)
	if opts.Key != nil {
		sc := opabundle.NewSigningConfig(opts.Key.Material, opts.Key.Algorithm, "")
		if err := b.GenerateSignature(sc, KeyID, true); err != nil {
			return fmt.Errorf("sign bundle: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := opabundle.Write(&buf, b); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	out := buf.Bytes()
	if opts.Key != nil {
		var err error
		if out, err = signaturesFirst(out); err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
