package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// eventFields are the record fields the alert copies that are not in the event.Header.
type eventFields struct {
	SourceIPAddress string `json:"sourceIPAddress"`
	UserAgent       string `json:"userAgent"`
	ErrorMessage    string `json:"errorMessage"`
	ReadOnly        any    `json:"readOnly"`
	UserIdentity    struct {
		AccountID string `json:"accountId"`
	} `json:"userIdentity"`
}

// recordFields reads the eventFields of a record: sourceIPAddress, userAgent, errorMessage,
// readOnly (whether it is true) and userIdentity.accountId.
func recordFields(raw []byte) (sourceIP, userAgent, errorMessage, accountID string, readOnly bool, err error) {
	var sc fieldScanner
	if sc.scan(raw) {
		// One copy of the four values (raw may alias a decoder's buffer), which they are
		// slices of.
		var buf [512]byte
		b := buf[:0]
		for _, s := range sc.spans {
			b = append(b, raw[s[0]:s[1]]...)
		}
		all := string(b)
		out := sc.decoded
		at := 0
		for i, s := range sc.spans {
			n := s[1] - s[0]
			if n > 0 {
				out[i] = all[at : at+n]
			}
			at += n
		}
		return out[0], out[1], out[2], out[3], sc.readOnly, nil
	}
	var ef eventFields
	if err := json.Unmarshal(raw, &ef); err != nil {
		return "", "", "", "", false, fmt.Errorf("build alert: read record fields: %w", err)
	}
	return ef.SourceIPAddress, ef.UserAgent, ef.ErrorMessage, ef.UserIdentity.AccountID, isTrue(ef.ReadOnly), nil
}

// fieldScanner reads the eventFields of a record without reflection, for the records where
// that is simple: it validates the whole record as encoding/json does and gives up (scan
// returns false, and the caller uses json.Unmarshal) on anything where encoding/json's
// answer depends on more than the bytes of one value: a value of one of the fields with the
// wrong type, a key with escapes or non-ASCII bytes, or a key that matches one of the fields
// only case-insensitively. Plain values are copied; a value with escapes or invalid UTF-8 is
// decoded by encoding/json on its own. Duplicate keys end as in encoding/json: the last value
// wins, and null leaves a string as it was.
type fieldScanner struct {
	b        []byte
	i        int
	depth    int
	spans    [4][2]int // sourceIPAddress, userAgent, errorMessage, userIdentity.accountId
	decoded  [4]string // the value when it needed decoding (its span is empty)
	readOnly bool
}

const (
	spanSourceIP = iota
	spanUserAgent
	spanErrorMessage
	spanAccountID
)

// maxScanDepth is where the scanner leaves a deeply nested record to encoding/json.
const maxScanDepth = 512

func (sc *fieldScanner) scan(b []byte) bool {
	sc.b, sc.i = b, 0
	sc.ws()
	if sc.i >= len(b) || b[sc.i] != '{' {
		return false
	}
	if !sc.object(sc.topKey) {
		return false
	}
	sc.ws()
	return sc.i == len(b)
}

func (sc *fieldScanner) ws() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// object reads an object at sc.i; member is called for each key (without quotes), with sc.i
// at the value, and must read the value.
func (sc *fieldScanner) object(member func(key []byte) bool) bool {
	if sc.depth++; sc.depth > maxScanDepth {
		return false
	}
	sc.i++ // {
	sc.ws()
	if sc.i < len(sc.b) && sc.b[sc.i] == '}' {
		sc.i++
		sc.depth--
		return true
	}
	for {
		if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
			return false
		}
		start := sc.i + 1
		flags, ok := sc.str()
		if !ok {
			return false
		}
		key := sc.b[start : sc.i-1]
		sc.ws()
		if sc.i >= len(sc.b) || sc.b[sc.i] != ':' {
			return false
		}
		sc.i++
		sc.ws()
		if member == nil || flags != 0 {
			// A key with escapes or non-ASCII bytes might match a field once unescaped or
			// case-folded; only skip it when it cannot.
			if member != nil {
				return false
			}
			if !sc.value() {
				return false
			}
		} else if !member(key) {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.b) {
			return false
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
			sc.ws()
		case '}':
			sc.i++
			sc.depth--
			return true
		default:
			return false
		}
	}
}

// topKey reads one member of the record.
func (sc *fieldScanner) topKey(key []byte) bool {
	switch string(key) {
	case "sourceIPAddress":
		return sc.stringField(spanSourceIP)
	case "userAgent":
		return sc.stringField(spanUserAgent)
	case "errorMessage":
		return sc.stringField(spanErrorMessage)
	case "readOnly":
		return sc.readOnlyField()
	case "userIdentity":
		switch {
		case sc.i < len(sc.b) && sc.b[sc.i] == '{':
			return sc.object(sc.identityKey)
		case sc.literal("null"):
			return true
		}
		return false
	}
	if foldsTo(key, "sourceIPAddress", "userAgent", "errorMessage", "readOnly", "userIdentity") {
		return false
	}
	return sc.value()
}

func (sc *fieldScanner) identityKey(key []byte) bool {
	if string(key) == "accountId" {
		return sc.stringField(spanAccountID)
	}
	if foldsTo(key, "accountId") {
		return false
	}
	return sc.value()
}

func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if len(key) == len(n) && strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}

// stringField reads a string (kept when plain) or null (no change).
func (sc *fieldScanner) stringField(span int) bool {
	if sc.literal("null") {
		return true
	}
	if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
		return false
	}
	start := sc.i + 1
	flags, ok := sc.str()
	if !ok {
		return false
	}
	if flags&strEscaped != 0 || flags&strHigh != 0 && !utf8.Valid(sc.b[start:sc.i-1]) {
		var v string
		if json.Unmarshal(sc.b[start-1:sc.i], &v) != nil {
			return false
		}
		sc.spans[span], sc.decoded[span] = [2]int{}, v
		return true
	}
	sc.spans[span], sc.decoded[span] = [2]int{start, sc.i - 1}, ""
	return true
}

// readOnlyField reads readOnly: true when it is the boolean true or a string equal to "true"
// in any case (isTrue).
func (sc *fieldScanner) readOnlyField() bool {
	if sc.i < len(sc.b) && sc.b[sc.i] == '"' {
		start := sc.i + 1
		flags, ok := sc.str()
		if !ok {
			return false
		}
		v := string(sc.b[start : sc.i-1])
		if flags&strEscaped != 0 && json.Unmarshal(sc.b[start-1:sc.i], &v) != nil {
			return false
		}
		sc.readOnly = strings.EqualFold(v, "true")
		return true
	}
	sc.readOnly = sc.i < len(sc.b) && sc.b[sc.i] == 't'
	return sc.value()
}

// String flags.
const (
	strEscaped = 1 << iota // has escapes
	strHigh                // has bytes >= 0x80
)

// str reads a string at sc.i (on its opening quote) and says whether it has escapes or
// non-ASCII bytes.
func (sc *fieldScanner) str() (flags int, ok bool) {
	b := sc.b
	i := sc.i + 1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			sc.i = i + 1
			return flags, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(b) {
				return 0, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		case c >= 0x80:
			flags |= strHigh
			i++
		default:
			i++
		}
	}
	return 0, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (sc *fieldScanner) literal(lit string) bool {
	if len(sc.b)-sc.i >= len(lit) && string(sc.b[sc.i:sc.i+len(lit)]) == lit {
		sc.i += len(lit)
		return true
	}
	return false
}

// value reads and validates any value.
func (sc *fieldScanner) value() bool {
	if sc.i >= len(sc.b) {
		return false
	}
	switch c := sc.b[sc.i]; {
	case c == '{':
		return sc.object(nil)
	case c == '[':
		return sc.array()
	case c == '"':
		_, ok := sc.str()
		return ok
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return sc.number()
	}
	return false
}

func (sc *fieldScanner) array() bool {
	if sc.depth++; sc.depth > maxScanDepth {
		return false
	}
	sc.i++ // [
	sc.ws()
	if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
		sc.i++
		sc.depth--
		return true
	}
	for {
		if !sc.value() {
			return false
		}
		sc.ws()
		if sc.i >= len(sc.b) {
			return false
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
			sc.ws()
		case ']':
			sc.i++
			sc.depth--
			return true
		default:
			return false
		}
	}
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *fieldScanner) number() bool {
	b, i := sc.b, sc.i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	sc.i = i
	return true
}
