package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/flate"
)

// packer stores the alerts MemoryWindows keeps for re-delivery (a dedup window's first alert,
// a few KB of JSON each) compressed, with the first alert kept of the same rule as a preset
// dictionary: alerts of one rule share their titles, remediation and runbook text and most
// field names, so one packs to about a tenth of its size (about 600 bytes for the built-in
// pack's alerts of 6 KB). The dictionaries are the only alerts kept whole, one per rule.
// DynamoWindows stores payloads as given; this is the in-memory store's own representation.
//
// A packed payload is one tag byte, then for packRaw the payload itself, for packFlate the
// payload's length (uvarint) and its DEFLATE stream. Not safe for concurrent use (the
// store's lock guards it).
type packer struct {
	dicts map[string][]byte // rule id -> its dictionary
	w     *flate.Writer
	r     io.ReadCloser // a flate reader, reset for each payload
	buf   bytes.Buffer
}

const (
	packRaw   byte = 0
	packFlate byte = 1
	// maxDict is the longest useful dictionary: DEFLATE looks back 32 KB at most.
	maxDict = 32 << 10
)

// pack returns payload packed (nil for an empty payload). It never fails: a payload it cannot
// compress is kept raw.
func (p *packer) pack(rule string, payload []byte) []byte {
	if len(payload) == 0 {
		return nil
	}
	if b, err := p.deflate(rule, payload); err == nil && len(b) < len(payload)+1 {
		return b
	}
	return append([]byte{packRaw}, payload...)
}

func (p *packer) deflate(rule string, payload []byte) ([]byte, error) {
	dict, ok := p.dicts[rule]
	if !ok {
		if p.dicts == nil {
			p.dicts = map[string][]byte{}
		}
		dict = bytes.Clone(payload[max(0, len(payload)-maxDict):])
		p.dicts[rule] = dict
	}
	if p.w == nil {
		w, err := flate.NewWriter(nil, flate.BestSpeed)
		if err != nil {
			return nil, err
		}
		p.w = w
	}
	p.buf.Reset()
	p.buf.WriteByte(packFlate)
	p.buf.Write(binary.AppendUvarint(nil, uint64(len(payload))))
	p.w.ResetDict(&p.buf, dict)
	if _, err := p.w.Write(payload); err != nil {
		return nil, err
	}
	if err := p.w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(p.buf.Bytes()), nil
}

// unpack returns the payload pack(rule, ...) returned b for, in a slice of its own.
func (p *packer) unpack(rule string, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	switch b[0] {
	case packRaw:
		return bytes.Clone(b[1:]), nil
	case packFlate:
	default:
		return nil, fmt.Errorf("unpack payload: unknown format %d", b[0])
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 || n > uint64(len(b))*1032 { // DEFLATE expands at most ~1032:1
		return nil, errors.New("unpack payload: bad length")
	}
	dict, ok := p.dicts[rule]
	if !ok {
		return nil, fmt.Errorf("unpack payload: no dictionary for rule %s", rule)
	}
	src := bytes.NewReader(b[1+k:])
	if p.r == nil {
		p.r = flate.NewReaderDict(src, dict)
	} else if err := p.r.(flate.Resetter).Reset(src, dict); err != nil {
		return nil, fmt.Errorf("unpack payload: %w", err)
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(p.r, out); err != nil {
		return nil, fmt.Errorf("unpack payload: %w", err)
	}
	var extra [1]byte
	if m, err := p.r.Read(extra[:]); m != 0 || err != io.EOF {
		return nil, fmt.Errorf("unpack payload: longer than its recorded %d bytes", n)
	}
	return out, nil
}
