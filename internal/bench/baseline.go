package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/trailhound/trailhound/internal/rule"
	"github.com/trailhound/trailhound/rules"
)

// This file holds the baselines the replay is compared with: what a user might write instead
// of trailhound with OPA alone, on the same rule pack.

// packModules returns the built-in pack's modules (tests left out) as rego options, and the
// query that yields every rule's alert set.
func packModules() ([]func(*rego.Rego), string, error) {
	var opts []func(*rego.Rego)
	err := fs.WalkDir(rules.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(rules.FS, p)
		if err != nil {
			return err
		}
		opts = append(opts, rego.Module(p, string(src)))
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("read the rule pack: %w", err)
	}
	pack, err := rule.Load("builtin", "builtin", "rules", rules.FS)
	if err != nil {
		return nil, "", err
	}
	parts := make([]string, len(pack.Rules))
	for i, r := range pack.Rules {
		parts[i] = fmt.Sprintf("r%d := %s", i, r.Query())
	}
	return opts, strings.Join(parts, "; "), nil
}

// readLogFile decompresses and decodes a log file the way a generic tool does:
// encoding/json into map[string]any.
func readLogFile(path string) ([]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("gunzip %s: %w", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("gunzip %s: %w", path, err)
	}
	var doc struct{ Records []any }
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return doc.Records, nil
}

// NaivePerRecord evaluates every rule of the pack on each of the first limit records of files
// with a new, unprepared rego.Rego per record (modules parsed and compiled every time), as a
// first script would. It returns the number of records evaluated.
func NaivePerRecord(ctx context.Context, files []string, limit int) (int64, error) {
	mods, query, err := packModules()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, path := range files {
		recs, err := readLogFile(path)
		if err != nil {
			return n, err
		}
		for _, rec := range recs {
			if n >= int64(limit) {
				return n, nil
			}
			opts := append([]func(*rego.Rego){rego.Query(query), rego.Input(rec)}, mods...)
			if _, err := rego.New(opts...).Eval(ctx); err != nil {
				return n, fmt.Errorf("%s: %w", path, err)
			}
			n++
		}
	}
	return n, nil
}

// PerFile evaluates every rule on every record of each of the first limit files with one
// unprepared query per file, the log file as input: what `opa eval --input <file> <query>`
// run per log file does (without its process start). It returns the number of records.
func PerFile(ctx context.Context, files []string, limit int) (int64, error) {
	mods, query, err := packModules()
	if err != nil {
		return 0, err
	}
	// Each rule's alert set for each record, the record bound as input.
	perRecord := strings.ReplaceAll(query, ".alert", ".alert with input as rec")
	fileQuery := "out := [x | some rec in input.Records; " + perRecord + "; x := [" + varList(strings.Count(query, ":=")) + "]]"
	var n int64
	for i, path := range files {
		if i >= limit {
			break
		}
		recs, err := readLogFile(path)
		if err != nil {
			return n, err
		}
		opts := append([]func(*rego.Rego){rego.Query(fileQuery), rego.Input(map[string]any{"Records": recs})}, mods...)
		if _, err := rego.New(opts...).Eval(ctx); err != nil {
			return n, fmt.Errorf("%s: %w", path, err)
		}
		n += int64(len(recs))
	}
	return n, nil
}

// varList is "r0, r1, ..., r<n-1>".
func varList(n int) string {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "r%d", i)
	}
	return b.String()
}
