package event

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
)

// This file is the splitter: it walks one input's top-level values, streams arrays element by
// element, hands each item to the classifier, and recovers from syntax errors.

// utf8BOM may open an input (editors on Windows write it); it is skipped.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// maxLevel is the number of item levels: a top-level value (0), an element of a top-level
// array or of a log file's Records (1), a Records element of a log file inside a top-level
// array (2).
const maxLevel = 3

// frame holds the captures of the item being scanned at one item level. framing is how a bare
// record at that level is framed.
type frame struct {
	obj, detail fields
	framing     Framing
}

// Decoder decodes inputs one after another, reusing its buffers, its gzip decompressor and
// its table of interned header values across them: the way to decode many inputs (a replay
// of a bucket or a directory) without allocating per input. The zero value is ready to use.
//
// Record.Raw aliases the Decoder's buffers (or the caller's bytes): it is valid until the
// Decoder starts its next input, so a caller that keeps it longer must copy it. A Decoder is
// not safe for concurrent use, and its iterators must not be nested.
type Decoder struct {
	// MaxInput caps one input, in bytes after decompression; DefaultMaxInput when zero. An
	// input over it yields one error wrapping ErrTooLarge and nothing else.
	MaxInput int
	// Want, if set, is asked about each record with its eventSource and eventName, before
	// the rest of its header is read: a record it declines is still yielded, with
	// Record.Declined set and only Header.EventSource and Header.EventName read, so the caller
	// can count it without paying for header fields it will not look at. A replay declines
	// the records no rule selects. Validation, framing and errors are the same either way.
	Want func(eventSource, eventName string) bool

	yield   func(Record, error) bool
	stopped bool

	name    string
	index   int // items yielded so far in this input
	lines   lineCounter
	cur     int // offset of the innermost item being scanned, where a syntax error is reported
	curLine int
	lastEnd int  // end offset of the last item yielded; resync never goes back before it
	inArray bool // the current top-level value is an array being streamed
	// inRecords is set while a log file's Records array is streamed (at depth recDepth, its
	// elements at item level recLvl), and stays set when a syntax error leaves it.
	inRecords        bool
	recDepth, recLvl int

	frames [maxLevel]frame
	body   frame // captures of an SQS message body

	in, out  []byte // input and decompressed input, reused across inputs
	arena    []byte // unescaped SQS bodies of the current input
	keyBuf   []byte // an unescaped key
	tmp      []byte // an unescaped value
	uniq     []byte // header values of one record that are not interned
	interned map[string]string
	cache    internCache
	gz       gzipState
}

// stopScan is returned through the scanners when the consumer stopped the iteration.
var stopScan = &syntaxError{Msg: "iteration stopped"}

// start prepares d for an iteration yielding to yield.
func (d *Decoder) start(yield func(Record, error) bool) {
	d.yield, d.stopped = yield, false
}

// Records is the package-level Records on d's buffers.
func (d *Decoder) Records(name string, r io.Reader) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		d.start(yield)
		d.decodeReader(name, r)
	}
}

// RecordsBytes is the package-level RecordsBytes on d's buffers.
func (d *Decoder) RecordsBytes(name string, b []byte) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		d.start(yield)
		d.decodeInput(name, b)
	}
}

// RecordsBytes is Records over an in-memory input, such as a Lambda invocation payload. Record.Raw
// aliases b (or, for gzip input and SQS message bodies, buffers owned by the iteration); b must
// not change while the iteration runs.
func RecordsBytes(name string, b []byte) iter.Seq2[Record, error] {
	return new(Decoder).RecordsBytes(name, b)
}

// decodeInput decodes one whole input held in b: gzip is detected by its magic bytes and
// decompressed first.
func (d *Decoder) decodeInput(name string, b []byte) {
	d.name = name
	if len(b) > d.maxInput() {
		d.refuse(name, tooLarge("input holds", d.maxInput()))
		return
	}
	if !isGzip(b) {
		d.decode(b, false)
		return
	}
	out, err := d.gunzip(b)
	if errors.Is(err, ErrTooLarge) {
		d.refuse(name, tooLarge("gzip input decompresses to", d.maxInput()))
		return
	}
	d.decode(out, err != nil)
	if err != nil && !d.stopped {
		d.yieldErr(d.truncOrigin(out), gzipErr(err, len(out)))
	}
}

// truncOrigin locates the end of a truncated input: the item that was cut, or the last line.
func (d *Decoder) truncOrigin(b []byte) Origin {
	if d.cur >= d.lastEnd && d.cur < len(b) {
		return Origin{File: d.name, Line: d.curLine}
	}
	return Origin{File: d.name, Line: d.lineAt(b, len(b))}
}

// decode splits and classifies the input b. With truncated, b is a prefix of the real input,
// so an item cut by its end is left to the caller to report.
func (d *Decoder) decode(b []byte, truncated bool) {
	d.index, d.lastEnd, d.cur, d.curLine = 0, 0, 0, 1
	d.lines.reset()
	d.arena = d.arena[:0]
	d.frames[0].framing = FramingRecord
	i := 0
	if bytes.HasPrefix(b, utf8BOM) {
		i = len(utf8BOM)
	}
	recovering := false // resumed inside a top-level array after a syntax error
	resume := -1        // offset of a log file record to resume the Records array at
	for !d.stopped {
		var end int
		var err *syntaxError
		if resume >= 0 {
			i, resume = resume, -1
			end, err = d.resumeRecords(b, i)
		} else {
			i = skipWS(b, i)
			for recovering && i < len(b) && (b[i] == ',' || b[i] == ']') {
				recovering = b[i] == ','
				i = skipWS(b, i+1)
			}
			if i >= len(b) {
				return
			}
			d.cur, d.curLine, d.inArray, d.inRecords = i, d.lineAt(b, i), false, false
			end, err = d.item(b, i, 0, 0)
		}
		if err == nil {
			i = end
			continue
		}
		if err == stopScan {
			return
		}
		if err.EOF && truncated {
			return
		}
		d.yieldErr(Origin{File: d.name, Line: d.curLine}, syntaxErr(b, err, d.cur, d.curLine))
		recovering = d.inArray
		i = resync(b, max(d.cur, d.lastEnd))
		if d.inRecords {
			// Broken inside a log file's Records (a one-line file included): go on with the
			// next record of the array, unless a line starts before it (JSON Lines).
			if j := nextRecordStart(b, max(d.cur+1, d.lastEnd)); j >= 0 && j < i {
				resume = j
			}
		}
	}
}

// recordMarker is the first key of every CloudTrail record AWS writes.
var recordMarker = []byte(`"eventVersion"`)

// nextRecordStart returns the offset of the next '{' at or after from that opens an object
// whose first key is "eventVersion" (whitespace allowed between them): where a CloudTrail
// record starts. Such bytes cannot occur inside a JSON string (its quotes would be escaped),
// so they mark a record even in a line broken before them. It returns -1 when there is none.
func nextRecordStart(b []byte, from int) int {
	for from < len(b) {
		k := bytes.Index(b[from:], recordMarker)
		if k < 0 {
			return -1
		}
		at := from + k
		j := at - 1
		for j >= from && (b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t') {
			j--
		}
		if j >= from && b[j] == '{' {
			return j
		}
		from = at + len(recordMarker)
	}
	return -1
}

// resumeRecords goes on with the Records array of a log file at the record starting at b[i],
// as streamArray would have (same depth and item level), then skips the rest of the log file
// object, and returns the offset past it.
func (d *Decoder) resumeRecords(b []byte, i int) (int, *syntaxError) {
	depth, lvl := d.recDepth, d.recLvl
	for {
		d.cur, d.curLine = i, d.lineAt(b, i)
		end, err := d.item(b, i, depth, lvl)
		if err != nil {
			return end, err
		}
		if i = skipWS(b, end); i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			break
		}
		if i < len(b) {
			d.cur, d.curLine = i, d.lineAt(b, i)
		}
		return i, errAt(b, i, "after array element")
	}
	d.inRecords = false
	// The rest of the log file object: more key:value pairs, then '}'.
	for i = skipWS(b, i+1); i < len(b) && b[i] == ','; i = skipWS(b, i) {
		i = skipWS(b, i+1)
		end, _, err := scanString(b, i)
		if err != nil || i >= len(b) || b[i] != '"' {
			return end, errAt(b, i, "looking for beginning of object key string")
		}
		if i = skipWS(b, end); i >= len(b) || b[i] != ':' {
			return i, errAt(b, i, "after object key")
		}
		if i, err = scanValue(b, skipWS(b, i+1), depth-1); err != nil {
			return i, err
		}
	}
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	return i, errAt(b, i, "after object key:value pair")
}

// resync returns the start of the first line after offset from whose first byte is '{' or '[':
// the likely start of the next record in JSON Lines, concatenated or pretty-printed input.
func resync(b []byte, from int) int {
	for {
		k := bytes.IndexByte(b[from:], '\n')
		if k < 0 {
			return len(b)
		}
		from += k + 1
		if from < len(b) && (b[from] == '{' || b[from] == '[') {
			return from
		}
	}
}

// lineCounter answers the 1-based line of offsets that mostly increase, counting on from the
// last answer, so a whole input costs one pass of bytes.Count.
type lineCounter struct {
	line, off int // line number at offset off
}

func (c *lineCounter) reset() { c.line, c.off = 1, 0 }

// at returns the line of offset off in b.
func (c *lineCounter) at(b []byte, off int) int {
	if off < c.off || c.line == 0 {
		c.reset()
	}
	c.line += bytes.Count(b[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// lineAt returns the line of offset off in b.
func (d *Decoder) lineAt(b []byte, off int) int { return d.lines.at(b, off) }

// item scans the value at b[i] (depth containers enclose it) as an item at item level lvl and
// yields what it holds.
func (d *Decoder) item(b []byte, i, depth, lvl int) (int, *syntaxError) {
	o := Origin{File: d.name, Line: d.curLine}
	switch c := b[i]; {
	case c == '{':
		fr := &d.frames[lvl]
		mode := captureDetail
		if fr.framing != FramingLogFile && lvl+1 < maxLevel {
			mode |= streamRecords
		}
		end, err := d.scanFields(b, i, depth+1, &fr.obj, &fr.detail, mode, lvl)
		if err != nil {
			return end, err
		}
		d.emitObject(b, i, end, fr, o)
		if d.stopped {
			return end, stopScan
		}
		return end, nil
	case c == '[' && lvl == 0:
		d.inArray = true
		return d.streamArray(b, i, depth+1, 1, FramingRecord)
	default:
		end, err := scanValue(b, i, depth)
		if err != nil {
			return end, err
		}
		d.lastEnd = end
		d.yieldErr(o, fmt.Errorf("%w: a JSON %s, not an object", ErrNotRecord, kindOf(c)))
		if d.stopped {
			return end, stopScan
		}
		return end, nil
	}
}

// streamArray scans the array at b[i] == '[' (own depth depth) and hands each element to
// d.item at item level lvl as soon as it is scanned; framing is how a bare record element is
// framed.
func (d *Decoder) streamArray(b []byte, i, depth, lvl int, framing Framing) (int, *syntaxError) {
	if depth > maxDepth {
		return i, tooDeep(i)
	}
	d.frames[lvl].framing = framing
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, errAt(b, i, "looking for beginning of value")
		}
		d.cur, d.curLine = i, d.lineAt(b, i)
		end, err := d.item(b, i, depth, lvl)
		if err != nil {
			return end, err
		}
		if i = skipWS(b, end); i < len(b) {
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
				continue
			case ']':
				return i + 1, nil
			}
		}
		if i < len(b) {
			d.cur, d.curLine = i, d.lineAt(b, i)
		}
		return i, errAt(b, i, "after array element")
	}
}

// yieldRecord yields a record with the next item index.
func (d *Decoder) yieldRecord(r Record) {
	r.Origin.Index = d.index
	d.index++
	if !d.yield(r, nil) {
		d.stopped = true
	}
}

// yieldErr yields a *DecodeError at o with the next item index. The Record yielded beside it
// carries only the Origin, so a consumer can count the malformed item.
func (d *Decoder) yieldErr(o Origin, err error) {
	o.Index = d.index
	d.index++
	if !d.yield(Record{Origin: o}, &DecodeError{Origin: o, Err: err}) {
		d.stopped = true
	}
}
