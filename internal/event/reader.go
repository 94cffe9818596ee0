package event

import (
	"errors"
	"io"
	"iter"
	"os"
)

// Records decodes one input read from r, auto-detecting its framing (see the package
// documentation), and yields each record, or a *DecodeError for each malformed item, and goes
// on with the rest of the input. name locates the input in errors and Origin.File ("-" for
// stdin). The whole input is read into memory first and Record.Raw aliases that buffer (each
// call has its own; a Decoder reuses one across calls). A read error after some bytes yields
// the records read so far, then a *DecodeError wrapping ErrRead.
func Records(name string, r io.Reader) iter.Seq2[Record, error] {
	return new(Decoder).Records(name, r)
}

// decodeReader reads r whole into d.in and decodes it.
func (d *Decoder) decodeReader(name string, r io.Reader) {
	if r == nil {
		d.name, d.index = name, 0
		d.yieldErr(Origin{File: name}, readErr(errNoReader))
		return
	}
	limit := d.maxInput()
	buf := d.in[:0]
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if st.Size() > int64(limit) {
				d.refuse(name, tooLarge("file holds", limit))
				return
			}
			if int64(cap(buf)) <= st.Size() {
				buf = make([]byte, 0, st.Size()+1)
			}
		}
	}
	buf, err := readInto(buf, r, limit)
	d.in = buf
	if errors.Is(err, ErrTooLarge) {
		d.in = nil
		d.refuse(name, tooLarge("input holds", limit))
		return
	}
	if err == nil {
		d.decodeInput(name, buf)
		return
	}
	d.name = name
	if isGzip(buf) {
		// A gzip stream cut by a read error is reported as the read error.
		out, gerr := d.gunzip(buf)
		if errors.Is(gerr, ErrTooLarge) {
			d.refuse(name, tooLarge("gzip input decompresses to", limit))
			return
		}
		buf = out
	}
	d.decode(buf, true)
	if !d.stopped {
		d.yieldErr(d.truncOrigin(buf), readErr(err))
	}
}

// refuse yields err as the one item of input name.
func (d *Decoder) refuse(name string, err error) {
	d.name, d.index = name, 0
	d.yieldErr(Origin{File: name}, err)
}

// errNoReader is the cause when there is nothing to read from (Paths given "-" and no stdin).
var errNoReader = errors.New("no reader (stdin not available)")
