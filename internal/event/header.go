package event

// This file builds a Header from captured spans with at most one allocation per record:
// values that repeat across records (event sources, names, regions, versions, accounts, error
// codes) are interned per decoder, and the rest share one string.

// maxInterned bounds the intern table of one decoder, so varied (or hostile) values cannot
// grow it without limit; past it, values are allocated per record like eventID.
const maxInterned = 8192

// internable marks the header keys whose values repeat across records.
var internable = [numHeader]bool{
	keyEventVersion: true, keyEventSource: true, keyEventName: true, keyEventType: true,
	keyAWSRegion: true, keyRecipientAccountID: true, keyErrorCode: true,
}

// set stores the value of header key k.
func (h *Header) set(k int, s string) {
	switch k {
	case keyEventVersion:
		h.EventVersion = s
	case keyEventSource:
		h.EventSource = s
	case keyEventName:
		h.EventName = s
	case keyEventID:
		h.EventID = s
	case keyEventTime:
		h.EventTime = s
	case keyEventType:
		h.EventType = s
	case keyAWSRegion:
		h.AWSRegion = s
	case keyRecipientAccountID:
		h.RecipientAccountID = s
	case keyErrorCode:
		h.ErrorCode = s
	}
}

// internCacheSize is the number of slots of each header key's direct-mapped cache in front of
// the intern table (a power of two).
const internCacheSize = 64

// internCache remembers recent interned values per header key, so the common case (the value
// seen a few records ago) costs a byte comparison instead of a map lookup.
type internCache [numHeader][internCacheSize]string

// slot picks s's cache slot from its length and three of its bytes.
func slot(s []byte) int {
	n := len(s)
	return (n*7 + int(s[0]) + int(s[n-1])*3 + int(s[n/2])*5) & (internCacheSize - 1)
}

// intern returns the interned copy of s (not empty), the value of header key k, adding it
// while the table has room.
func (d *Decoder) intern(k int, s []byte) (string, bool) {
	c := &d.cache[k][slot(s)]
	if *c == string(s) {
		return *c, true
	}
	v, ok := d.interned[string(s)]
	if !ok {
		if d.interned == nil {
			d.interned = make(map[string]string, 64)
		} else if len(d.interned) >= maxInterned {
			return "", false
		}
		v = string(s)
		d.interned[v] = v
	}
	*c = v
	return v, true
}

// header reads the Header fields captured in f from b into rec. A field that is absent or not
// a string is empty, as it would be for a consumer reading the record with encoding/json.
// With d.Want set, EventSource and EventName are read first, and a record Want declines keeps
// only those two (rec.Declined).
func (d *Decoder) header(b []byte, f *fields, rec *Record) {
	h := &rec.Header
	var done uint32 // keys read
	if d.Want != nil {
		const selection = 1<<keyEventSource | 1<<keyEventName
		d.readHeader(b, f, h, selection)
		if !d.Want(h.EventSource, h.EventName) {
			rec.Declined = true
			return
		}
		done = selection
	}
	d.readHeader(b, f, h, (1<<numHeader-1)&^done)
}

// readHeader reads the header keys in the bit set keys from b into h, with at most one
// allocation: the values that are not interned share one string.
func (d *Decoder) readHeader(b []byte, f *fields, h *Header, keys uint32) {
	var bounds [numHeader][2]int // offsets into d.uniq of values not interned
	var pending uint32
	d.uniq = d.uniq[:0]
	for k := 0; k < numHeader; k++ {
		if keys&(1<<k) == 0 {
			continue
		}
		s, ok := f.str(b, k)
		if !ok || len(s) == 0 {
			continue
		}
		if needsUnquote(s, f.val[k].esc) {
			d.tmp = appendUnquoted(d.tmp[:0], s)
			s = d.tmp
		}
		if internable[k] {
			if v, ok := d.intern(k, s); ok {
				h.set(k, v)
				continue
			}
		}
		bounds[k] = [2]int{len(d.uniq), len(d.uniq) + len(s)}
		d.uniq = append(d.uniq, s...)
		pending |= 1 << k
	}
	if pending != 0 {
		all := string(d.uniq)
		for k := 0; k < numHeader; k++ {
			if pending&(1<<k) != 0 {
				h.set(k, all[bounds[k][0]:bounds[k][1]])
			}
		}
	}
}
