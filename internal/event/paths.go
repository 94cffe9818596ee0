package event

import (
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
)

// inputExts are the file name endings Paths decodes when it walks a directory. Files named
// explicitly are decoded whatever their name.
var inputExts = []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz"}

// digestMarker names CloudTrail digest files (integrity hashes, not events), which sit beside
// the log files in a trail's S3 layout; directory walks skip them.
const digestMarker = "CloudTrail-Digest"

// Paths decodes each path in turn: "-" is stdin, a file is one input, and a directory is walked
// recursively in lexical order, skipping hidden entries (names starting with ".") and
// CloudTrail digest files, and decoding the files whose names end in .json, .jsonl, .ndjson or
// .gz, in any case (symbolic links to files are followed, to directories are not). A path that cannot be
// read yields a *DecodeError wrapping ErrRead that names it, and the walk goes on.
//
// One buffer serves every input: Record.Raw is valid only until the iteration moves on to the
// next input, so callers that keep it must copy it.
func Paths(paths []string, stdin io.Reader) iter.Seq2[Record, error] {
	return new(Decoder).Paths(paths, stdin)
}

// Paths is the package-level Paths on d's buffers.
func (d *Decoder) Paths(paths []string, stdin io.Reader) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		d.start(yield)
		for _, p := range paths {
			if p == "-" {
				d.decodeReader("-", stdin)
			} else {
				d.decodePath(p)
			}
			if d.stopped {
				return
			}
		}
	}
}

// decodePath decodes a file, or walks a directory.
func (d *Decoder) decodePath(root string) {
	st, err := os.Stat(root)
	if err != nil {
		d.readFailed(root, err)
		return
	}
	if !st.IsDir() {
		d.decodeFile(root)
		return
	}
	walkRoot := root
	if lst, err := os.Lstat(root); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		// WalkDir does not follow a symlinked root; a trailing separator makes it.
		walkRoot = root + string(filepath.Separator)
	}
	_ = filepath.WalkDir(walkRoot, func(path string, de fs.DirEntry, err error) error {
		if d.stopped {
			return filepath.SkipAll
		}
		if err != nil {
			// The directory (or entry) could not be read; report it and go on with the rest.
			d.readFailed(path, err)
			return nil
		}
		if path == walkRoot {
			return nil
		}
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			if de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if de.IsDir() || !isInputName(name) {
			return nil
		}
		if de.Type()&fs.ModeSymlink != 0 {
			target, err := os.Stat(path)
			if err != nil {
				d.readFailed(path, err)
				return nil
			}
			if !target.Mode().IsRegular() {
				return nil
			}
		} else if !de.Type().IsRegular() {
			return nil
		}
		d.decodeFile(path)
		return nil
	})
}

// isInputName reports whether a file found in a directory walk is an input.
func isInputName(name string) bool {
	if strings.Contains(name, digestMarker) {
		return false
	}
	lower := strings.ToLower(name) // EVENTS.JSON, trail.Json.GZ
	for _, ext := range inputExts {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// decodeFile decodes one file.
func (d *Decoder) decodeFile(path string) {
	f, err := os.Open(path)
	if err != nil {
		d.readFailed(path, err)
		return
	}
	defer f.Close()
	d.decodeReader(path, f)
}

// readFailed yields the error for a path that cannot be read.
func (d *Decoder) readFailed(path string, err error) {
	d.name = path
	d.index = 0
	d.yieldErr(Origin{File: path}, readErr(err))
}
