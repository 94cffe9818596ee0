package event

// This file scans an item object (a record, an EventBridge event, an SQS message or a log file)
// in one pass: it validates the whole object and, at its top level, records where the values
// of the keys the decoder cares about are, flags duplicated keys, descends into an EventBridge
// "detail" to capture the record's own header fields, and streams a "Records" array element by
// element.

// Keys captured at the top level of an item object. The first numHeader are Header fields, in
// the order of Header.set.
const (
	keyEventVersion = iota
	keyEventSource
	keyEventName
	keyEventID
	keyEventTime
	keyEventType
	keyAWSRegion
	keyRecipientAccountID
	keyErrorCode
	keyDetailType
	keyDetail
	keyMessageIDLambda // "messageId", Lambda's SQS event record
	keyMessageIDAPI    // "MessageId", SQS ReceiveMessage output
	keyBodyLambda
	keyBodyAPI
	keyRecords
	keySource  // "source" of an EventBridge event
	keyAccount // "account" of an EventBridge event
	numKeys
)

// numHeader is the number of captured keys that are Header fields.
const numHeader = keyErrorCode + 1

// keyNames are the JSON names of the captured keys, indexed by key.
var keyNames = [numKeys]string{
	"eventVersion", "eventSource", "eventName", "eventID", "eventTime", "eventType",
	"awsRegion", "recipientAccountId", "errorCode",
	"detail-type", "detail", "messageId", "MessageId", "body", "Body", "Records",
	"source", "account",
}

// lookupKey returns the captured key named by the (unescaped) bytes k, or -1.
func lookupKey(k []byte) int {
	switch string(k) {
	case "eventVersion":
		return keyEventVersion
	case "eventSource":
		return keyEventSource
	case "eventName":
		return keyEventName
	case "eventID":
		return keyEventID
	case "eventTime":
		return keyEventTime
	case "eventType":
		return keyEventType
	case "awsRegion":
		return keyAWSRegion
	case "recipientAccountId":
		return keyRecipientAccountID
	case "errorCode":
		return keyErrorCode
	case "detail-type":
		return keyDetailType
	case "detail":
		return keyDetail
	case "messageId":
		return keyMessageIDLambda
	case "MessageId":
		return keyMessageIDAPI
	case "body":
		return keyBodyLambda
	case "Body":
		return keyBodyAPI
	case "Records":
		return keyRecords
	case "source":
		return keySource
	case "account":
		return keyAccount
	}
	return -1
}

// span locates a captured value: b[start:end] is the whole JSON value, and kind is its first
// byte ('"' for a string, '{' for an object, and so on).
type span struct {
	start, end int
	kind       byte
	esc        bool // a string holding escapes
}

// fields is what one scan of an item object captured. val[k] is meaningful only when bit k of
// seen is set.
type fields struct {
	val      [numKeys]span
	seen     uint32
	dup      int  // first key seen twice, or -1
	streamed bool // the "Records" array was streamed element by element
}

func (f *fields) has(k int) bool { return f.seen&(1<<k) != 0 }

// str returns the raw body (between the quotes) of captured key k when it is a string.
func (f *fields) str(b []byte, k int) ([]byte, bool) {
	if !f.has(k) || f.val[k].kind != '"' {
		return nil, false
	}
	v := f.val[k]
	return b[v.start+1 : v.end-1], true
}

// isRecord reports whether the captured keys make the object a CloudTrail record.
func (f *fields) isRecord() bool { return f.has(keyEventName) || f.has(keyEventSource) }

// itemKeys are the captured keys that make an object an item of its own (a record, an
// EventBridge event, an SQS message) and not only a list of items.
const itemKeys = 1<<keyEventVersion | 1<<keyEventSource | 1<<keyEventName | 1<<keyEventID |
	1<<keyEventTime | 1<<keyDetailType | 1<<keyDetail | 1<<keyBodyLambda | 1<<keyBodyAPI

// claimsItem reports whether the object has any key of a record or an envelope. An object with
// a "Records" array is a log file (or a Lambda SQS batch) only when it has none: a record that
// also carries a top-level "Records" key is still classified, never read as an empty list.
func (f *fields) claimsItem() bool { return f.seen&itemKeys != 0 }

// scan modes for scanFields.
const (
	captureDetail = 1 << iota // capture the header fields of an object "detail" value
	streamRecords             // stream a "Records" array through the decoder's item handler
)

// scanFields scans the object at b[i] == '{' whose own depth is depth, validating it and
// capturing its top-level keys into f (and, with captureDetail, the keys of its "detail" object
// into detail). With streamRecords, the elements of a "Records" array are handed to d.item at
// item level lvl+1 as they are scanned, so the records before a syntax error are still decoded.
func (d *Decoder) scanFields(b []byte, i, depth int, f, detail *fields, mode, lvl int) (int, *syntaxError) {
	f.seen, f.dup, f.streamed = 0, -1, false
	if depth > maxDepth {
		return i, tooDeep(i)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(b, i, "looking for beginning of object key string")
		}
		ks := i
		end, esc, err := scanString(b, i)
		if err != nil {
			return end, err
		}
		key := b[ks+1 : end-1]
		if esc {
			d.keyBuf = appendUnquoted(d.keyBuf[:0], key)
			key = d.keyBuf
		}
		k := lookupKey(key)
		if i = skipWS(b, end); i >= len(b) || b[i] != ':' {
			return i, errAt(b, i, "after object key")
		}
		i = skipWS(b, i+1)
		vs := i
		if k < 0 {
			i, err = scanValue(b, i, depth)
		} else {
			if f.has(k) && f.dup < 0 {
				f.dup = k
			}
			f.seen |= 1 << k
			sp := span{start: vs}
			if i < len(b) {
				sp.kind = b[i]
			}
			switch {
			case sp.kind == '"':
				i, sp.esc, err = scanString(b, i)
			case k == keyDetail && sp.kind == '{' && mode&captureDetail != 0:
				i, err = d.scanFields(b, i, depth+1, detail, nil, 0, lvl)
			case k == keyRecords && sp.kind == '[' && mode&streamRecords != 0 && !f.streamed:
				cur, curLine := d.cur, d.curLine
				d.inRecords, d.recDepth, d.recLvl = true, depth+1, lvl+1
				i, err = d.streamArray(b, i, depth+1, lvl+1, FramingLogFile)
				if err == nil {
					d.cur, d.curLine = cur, curLine
					d.inRecords = false
				}
				f.streamed = true
			default:
				i, err = scanValue(b, i, depth)
			}
			sp.end = i
			f.val[k] = sp
		}
		if err != nil {
			return i, err
		}
		if i = skipWS(b, i); i < len(b) {
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
				continue
			case '}':
				return i + 1, nil
			}
		}
		return i, errAt(b, i, "after object key:value pair")
	}
}
