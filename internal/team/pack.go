package team

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/trailhound/trailhound/internal/rule"
)

// Source is one team pack's files, before validation: the team file's bytes and the Rego
// files (rules, helpers, tests) under FS.
type Source struct {
	Team string
	// Origin names where the pack came from in messages: a directory (teams/payments) or a
	// bundle location (s3://bucket/key#teams/payments).
	Origin string
	// TeamFile is the team file's content (YAML, or JSON from a bundle) and TeamFileName
	// its name in messages.
	TeamFile     []byte
	TeamFileName string
	FS           fs.FS
}

// Pack is a validated team pack: the team file, its compiled policy, and the rule pack
// (rules with the team's disabled ones removed, helpers, and the generated module holding
// data.teams.<team>.parameters).
type Pack struct {
	Team   string
	Origin string
	File   *File
	Policy *Policy
	Rules  *rule.Pack
}

// Dirs expands --rules arguments into team pack sources. A directory holding team.yaml is
// one team pack (the team is the directory's name); any other directory is a directory of
// team packs: each subdirectory holding team.yaml is one, and so is each (not hidden) that
// holds .rego files without team.yaml (a team.yml, say), whose Source has no TeamFile, so
// Load reports it as a broken pack by name instead of leaving its rules silently unloaded.
// A directory that is neither is an error, as is a team named twice.
func Dirs(dirs []string) ([]Source, error) {
	var out []Source
	seen := map[string]string{}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("rules directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("rules directory %s: not a directory", dir)
		}
		packs := []string{dir}
		if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
			entries, err := os.ReadDir(dir)
			if err != nil {
				return nil, fmt.Errorf("rules directory: %w", err)
			}
			packs = packs[:0]
			for _, e := range entries {
				sub := filepath.Join(dir, e.Name())
				if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
					continue
				}
				if _, err := os.Stat(filepath.Join(sub, FileName)); err == nil || holdsRego(sub) {
					packs = append(packs, sub)
				}
			}
			if len(packs) == 0 {
				return nil, fmt.Errorf("rules directory %s: holds no %s, and no subdirectory does: want a team pack (teams/payments) or a directory of them (teams)", dir, FileName)
			}
		}
		for _, p := range packs {
			src, err := DirSource(p)
			if err != nil {
				return nil, err
			}
			if prev, ok := seen[src.Team]; ok {
				return nil, fmt.Errorf("team %s is in both %s and %s", src.Team, prev, p)
			}
			seen[src.Team] = p
			out = append(out, src)
		}
	}
	return out, nil
}

// DirSource reads a team pack directory; the team is the directory's base name.
func DirSource(dir string) (Source, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Source{}, fmt.Errorf("team pack %s: %w", dir, err)
	}
	name := filepath.ToSlash(filepath.Clean(dir))
	file := path.Join(name, FileName)
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, fs.ErrNotExist) && holdsRego(dir) {
		// Rules without a team file: a Source without TeamFile, which Load refuses by name.
		return Source{Team: filepath.Base(abs), Origin: name, TeamFileName: file, FS: os.DirFS(dir)}, nil
	}
	if err != nil {
		return Source{}, fmt.Errorf("team pack %s: %w", dir, err)
	}
	return Source{Team: filepath.Base(abs), Origin: name, TeamFile: b, TeamFileName: file, FS: os.DirFS(dir)}, nil
}

// holdsRego reports whether dir holds a .rego file, at any depth (hidden entries skipped).
func holdsRego(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case p != dir && strings.HasPrefix(d.Name(), "."):
			if d.IsDir() {
				return filepath.SkipDir
			}
		case !d.IsDir() && strings.EqualFold(filepath.Ext(d.Name()), ".rego"):
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// missingTeamFile is Load's error for a pack whose rules came without a team file: it names
// the file wanted and any look-alike found beside the rules.
func missingTeamFile(src Source) error {
	msg := fmt.Sprintf("%s: missing: the pack holds Rego files but no team file, so none of its rules would run", src.TeamFileName)
	if src.FS != nil {
		if entries, err := fs.ReadDir(src.FS, "."); err == nil {
			for _, e := range entries {
				n := strings.ToLower(e.Name())
				if n != FileName && (strings.HasPrefix(n, "team.") || strings.HasPrefix(n, "team_")) {
					msg += fmt.Sprintf(" (found %s: the team file must be named %s)", e.Name(), FileName)
					break
				}
			}
		}
	}
	return errors.New(msg)
}

// Load validates a team pack: the team file (see Validate; now decides expiry), every rule's
// METADATA (rule.Load), the namespace (CheckModule), that disabled and suppressed rule ids
// exist, and builds the parameters module. All problems are returned together, each naming
// its file.
func Load(src Source, now time.Time) (*Pack, error) {
	if err := CheckName(src.Team); err != nil {
		return nil, fmt.Errorf("team pack %s: %w", src.Origin, err)
	}
	if src.TeamFile == nil {
		return nil, fmt.Errorf("team pack %s: %w", src.Origin, missingTeamFile(src))
	}
	f, lines, err := Parse(src.TeamFileName, src.TeamFile)
	if err != nil {
		return nil, fmt.Errorf("team pack %s: %w", src.Origin, err)
	}
	var errs []error
	if err := Validate(src.Team, src.TeamFileName, f, lines, now); err != nil {
		errs = append(errs, err)
	}
	rp, err := rule.Load(src.Origin, src.Team, src.Origin, src.FS)
	if err != nil {
		errs = append(errs, err)
	}
	if rp != nil {
		for _, name := range slices.Sorted(maps.Keys(rp.Modules)) {
			errs = append(errs, CheckModule(src.Team, name, rp.Modules[name])...)
		}
		prefix := IDPrefix(src.Team)
		ids := map[string]bool{}
		for _, r := range rp.Rules {
			ids[r.ID] = true
			if !strings.HasPrefix(r.ID, prefix) {
				errs = append(errs, fmt.Errorf("%s: rule id %s: team %s's rule ids start %s", r.File, r.ID, src.Team, prefix))
			}
		}
		for i, id := range f.Disabled {
			if !ids[id] {
				errs = append(errs, fmt.Errorf("%s: disabled %s: no rule of the pack has this id", lines.At(src.TeamFileName, fmt.Sprintf("disabled[%d]", i)), id))
			}
		}
		for i, s := range f.Suppressions {
			for _, id := range s.Match.RuleIDs {
				if !ids[id] {
					errs = append(errs, fmt.Errorf("%s: suppression %s: rule_ids %s: no rule of the pack has this id", lines.At(src.TeamFileName, fmt.Sprintf("suppressions[%d]", i)), s.ID, id))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("team pack %s: %w", src.Origin, errors.Join(errs...))
	}
	policy, err := NewPolicy(f)
	if err != nil {
		return nil, fmt.Errorf("team pack %s: %s: %w", src.Origin, src.TeamFileName, err)
	}
	params, err := ParametersModule(src.Team, src.TeamFileName, f.Parameters)
	if err != nil {
		return nil, fmt.Errorf("team pack %s: %w", src.Origin, err)
	}
	rp.Modules[src.TeamFileName] = params
	rp.Rules = slices.DeleteFunc(rp.Rules, func(r *rule.Rule) bool { return slices.Contains(f.Disabled, r.ID) })
	return &Pack{Team: src.Team, Origin: src.Origin, File: f, Policy: policy, Rules: rp}, nil
}

// ParametersModule is the generated module `package teams.<team>` defining `parameters`,
// the team file's parameters (an empty object when there are none), under the team file's
// name so compile errors point at it.
func ParametersModule(team, file string, params map[string]any) (*ast.Module, error) {
	if params == nil {
		params = map[string]any{}
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("%s: parameters: %w", file, err)
	}
	src := fmt.Sprintf("package teams.%s\n\nparameters := %s\n", team, b)
	mod, err := rule.ParseModule(file, src)
	if err != nil {
		return nil, fmt.Errorf("%s: parameters: %w", file, err)
	}
	return mod, nil
}
