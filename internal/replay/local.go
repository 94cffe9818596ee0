package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/trailhound/trailhound/internal/event"
)

// Local replays a directory tree (a trail bucket synced to disk) or a single file.
type Local struct {
	root string // as given, for messages
	fsys fs.FS
	// file is the one file to replay when root is a file (fsys is then its directory).
	file string
}

// NewLocal opens root, a directory or a file.
func NewLocal(root string) (*Local, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", root, err)
	}
	if st.IsDir() {
		return NewLocalFS(root, os.DirFS(root)), nil
	}
	l := NewLocalFS(root, os.DirFS(filepath.Dir(root)))
	l.file = filepath.Base(root)
	return l, nil
}

// NewLocalFS replays the tree fsys, which lives at root (named in messages and used to see
// where the root lies in CloudTrail's layout).
func NewLocalFS(root string, fsys fs.FS) *Local { return &Local{root: root, fsys: fsys} }

func (l *Local) rootPath() string { return filepath.ToSlash(l.root) }

// Name is the file's path.
func (l *Local) Name(o Object) string {
	if l.file != "" {
		return l.root
	}
	return filepath.Join(l.root, filepath.FromSlash(o.Key))
}

func (l *Local) list(ctx context.Context, dir string) ([]string, []Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if l.file != "" {
		if dir != "" {
			return nil, nil, nil
		}
		st, err := fs.Stat(l.fsys, l.file)
		if err != nil {
			return nil, nil, fmt.Errorf("replay %s: %w", l.root, err)
		}
		return nil, []Object{{Key: l.file, Size: st.Size()}}, nil
	}
	entries, err := fs.ReadDir(l.fsys, fsPath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", filepath.Join(l.root, dir), err)
	}
	var dirs []string
	var files []Object
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.IsDir() {
			dirs = append(dirs, e.Name())
			continue
		}
		if o, ok := l.object(join(dir, e.Name())); ok {
			files = append(files, o)
		}
	}
	return dirs, files, nil
}

// object describes a regular file (or a link to one); ok is false for anything else.
func (l *Local) object(key string) (Object, bool) {
	st, err := fs.Stat(l.fsys, key)
	if err != nil || !st.Mode().IsRegular() {
		return Object{}, false
	}
	return Object{Key: key, Size: st.Size()}, true
}

func (l *Local) walk(ctx context.Context, dir string, fn func(Object) error) error {
	if l.file != "" {
		_, files, err := l.list(ctx, dir)
		for _, o := range files {
			if err := fn(o); err != nil {
				return err
			}
		}
		return err
	}
	err := fs.WalkDir(l.fsys, fsPath(dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("list %s: %w", filepath.Join(l.root, p), err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p != fsPath(dir) && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if o, ok := l.object(p); ok {
			return fn(o)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Read reads the file into buf (reused when large enough).
func (l *Local) Read(ctx context.Context, o Object, buf []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return buf, err
	}
	f, err := l.fsys.Open(o.Key)
	if err != nil {
		return buf, err
	}
	defer f.Close()
	return readAll(f, buf[:0], o.Size)
}

// readAll appends r to buf, sized for a body of size bytes (the size the listing gave, which
// Run checked against the input cap). It never holds more than size+1 bytes: an object that
// turns out larger (it changed after it was listed) is an error wrapping event.ErrTooLarge.
func readAll(r io.Reader, buf []byte, size int64) ([]byte, error) {
	if size < 0 {
		size = 0
	}
	if int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+1)
	}
	for {
		n, err := r.Read(buf[len(buf) : size+1])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > size {
			return buf, fmt.Errorf("%w: more than the %d bytes listed (changed while being read)", event.ErrTooLarge, size)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func fsPath(dir string) string {
	if dir == "" {
		return "."
	}
	return path.Clean(dir)
}
