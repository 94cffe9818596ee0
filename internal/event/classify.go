package event

import (
	"bytes"
	"errors"
	"fmt"
)

// This file turns a scanned item object into a Record or a *DecodeError: it recognises the
// framing from the captured keys, unwraps EventBridge events and SQS messages, and builds the
// Header.

// cloudTrailDetailSuffix ends every EventBridge detail-type that carries a CloudTrail record
// ("AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail", ...).
const cloudTrailDetailSuffix = "via CloudTrail"

// FirstFraming reports how the first item of the input b is framed, as RecordsBytes would
// yield it (a record, or an error: an SQS message whose body does not decode is still
// FramingSQS), and false when b holds no item. Only the first item is decoded. The Lambda
// function tells an SQS batch from an EventBridge event by it.
func FirstFraming(b []byte) (Framing, bool) {
	for rec, err := range RecordsBytes("", b) {
		if de, ok := errors.AsType[*DecodeError](err); ok {
			return de.Origin.Framing, true
		}
		return rec.Origin.Framing, true
	}
	return "", false
}

// emitObject classifies the object b[start:end], scanned into fr, and yields what it holds:
// a record, or an error. A log file's records were already yielded while it was scanned.
func (d *Decoder) emitObject(b []byte, start, end int, fr *frame, o Origin) {
	d.lastEnd = end
	f := &fr.obj
	if f.dup >= 0 {
		d.yieldErr(o, fmt.Errorf("%w %q: the item is ambiguous", ErrDuplicateKey, keyNames[f.dup]))
		return
	}
	if f.streamed && !f.claimsItem() {
		return // a CloudTrail log file or Lambda SQS batch: its elements were the items
	}
	if k, ok := d.sqsBody(b, f); ok {
		d.emitSQS(b, f, k, o)
		return
	}
	o.Framing = fr.framing
	rec, err := d.envelope(b, start, end, fr, &o)
	if err != nil {
		d.yieldErr(o, err)
		return
	}
	d.yieldRecord(rec)
}

// sqsBody reports whether f is an SQS message, and which key holds its body: a Lambda SQS
// event record ("messageId", "body", "eventSource": "aws:sqs") or a ReceiveMessage message
// ("MessageId", "Body").
func (d *Decoder) sqsBody(b []byte, f *fields) (int, bool) {
	if f.has(keyBodyLambda) {
		if f.has(keyMessageIDLambda) {
			return keyBodyLambda, true
		}
		if s, ok := d.strValue(b, f, keyEventSource); ok && string(s) == "aws:sqs" {
			return keyBodyLambda, true
		}
	}
	if f.has(keyBodyAPI) && f.has(keyMessageIDAPI) {
		return keyBodyAPI, true
	}
	return 0, false
}

// envelope reads the object b[start:end] (scanned into fr) as a CloudTrail record or an
// EventBridge event carrying one. When it is an EventBridge event and o.Framing is
// FramingRecord or FramingLogFile, o.Framing becomes FramingEventBridge.
func (d *Decoder) envelope(b []byte, start, end int, fr *frame, o *Origin) (Record, error) {
	f := &fr.obj
	if f.has(keyDetailType) && f.has(keyDetail) {
		dt, ok := d.strValue(b, f, keyDetailType)
		if !ok {
			return Record{}, fmt.Errorf("%w: detail-type is a %s, not a string", ErrDetailType, kindOf(f.val[keyDetailType].kind))
		}
		if !bytes.HasSuffix(dt, []byte(cloudTrailDetailSuffix)) {
			return Record{}, fmt.Errorf("%w %s (only %q events carry CloudTrail records)", ErrDetailType, quoteValue(dt), "... "+cloudTrailDetailSuffix)
		}
		det := f.val[keyDetail]
		if det.kind != '{' {
			return Record{}, fmt.Errorf("%w: EventBridge detail is a %s, not an object", ErrNotRecord, kindOf(det.kind))
		}
		if o.Framing != FramingSQS {
			o.Framing = FramingEventBridge
		}
		df := &fr.detail
		if df.dup >= 0 {
			return Record{}, fmt.Errorf("%w %q in EventBridge detail: the record is ambiguous", ErrDuplicateKey, keyNames[df.dup])
		}
		if !df.isRecord() {
			return Record{}, fmt.Errorf("%w: EventBridge detail has no eventName or eventSource", ErrNotRecord)
		}
		if err := d.checkEnvelope(b, f, df); err != nil {
			return Record{}, err
		}
		rec := Record{Raw: b[det.start:det.end], Origin: *o}
		d.header(b, df, &rec)
		return rec, nil
	}
	if !f.isRecord() {
		return Record{}, ErrNotRecord
	}
	if src, ok := d.strValue(b, f, keyEventSource); ok && bytes.HasPrefix(src, []byte("aws:")) {
		// Lambda event-source records (aws:s3, aws:sns, aws:kinesis, ...) reuse the
		// eventSource key; CloudTrail's are service hosts such as iam.amazonaws.com.
		return Record{}, fmt.Errorf("%w: a Lambda event-source record (eventSource %s)", ErrNotRecord, quoteValue(src))
	}
	rec := Record{Raw: b[start:end], Origin: *o}
	d.header(b, f, &rec)
	return rec, nil
}

// emitSQS unwraps the SQS message captured in f, whose body is under key bodyKey, and yields
// the record in its body.
func (d *Decoder) emitSQS(b []byte, f *fields, bodyKey int, o Origin) {
	o.Framing = FramingSQS
	idKey := keyMessageIDLambda
	if bodyKey == keyBodyAPI {
		idKey = keyMessageIDAPI
	}
	if id, ok := f.str(b, idKey); ok {
		o.MessageID = d.unquotedString(id, f.val[idKey].esc)
	}
	raw, ok := f.str(b, bodyKey)
	if !ok {
		d.yieldErr(o, fmt.Errorf("%w: SQS message body is a %s, not a string", ErrNotRecord, kindOf(f.val[bodyKey].kind)))
		return
	}
	// The body is JSON inside a JSON string. Unescape it into the arena, which is reset per
	// input only, so the Raw of an earlier message stays intact while the input is decoded.
	from := len(d.arena)
	if needsUnquote(raw, f.val[bodyKey].esc) {
		d.arena = appendUnquoted(d.arena, raw)
		raw = d.arena[from:len(d.arena):len(d.arena)]
	}
	i := skipWS(raw, 0)
	if i >= len(raw) {
		d.yieldErr(o, fmt.Errorf("%w: SQS message body is empty", ErrNotRecord))
		return
	}
	if raw[i] != '{' {
		if _, err := scanValue(raw, i, 0); err != nil {
			d.yieldErr(o, fmt.Errorf("SQS message body: %w", syntaxErr(raw, err, 0, 1)))
		} else {
			d.yieldErr(o, fmt.Errorf("%w: SQS message body is a JSON %s, not an object", ErrNotRecord, kindOf(raw[i])))
		}
		return
	}
	fr := &d.body
	end, err := d.scanFields(raw, i, 1, &fr.obj, &fr.detail, captureDetail, 0)
	if err != nil {
		d.yieldErr(o, fmt.Errorf("SQS message body: %w", syntaxErr(raw, err, 0, 1)))
		return
	}
	if skipWS(raw, end) != len(raw) {
		d.yieldErr(o, fmt.Errorf("SQS message body: %w: more than one JSON value", ErrSyntax))
		return
	}
	if fr.obj.dup >= 0 {
		d.yieldErr(o, fmt.Errorf("%w %q in SQS message body: the item is ambiguous", ErrDuplicateKey, keyNames[fr.obj.dup]))
		return
	}
	if _, nested := d.sqsBody(raw, &fr.obj); nested {
		d.yieldErr(o, fmt.Errorf("%w: SQS message body is another SQS message", ErrNotRecord))
		return
	}
	rec, rerr := d.envelope(raw, i, end, fr, &o)
	if rerr != nil {
		d.yieldErr(o, fmt.Errorf("SQS message body: %w", rerr))
		return
	}
	d.yieldRecord(rec)
}

// strValue returns the string value of captured key k as encoding/json reads it. The bytes
// may be d.tmp: they are valid until the next unescape.
func (d *Decoder) strValue(b []byte, f *fields, k int) ([]byte, bool) {
	s, ok := f.str(b, k)
	if ok && needsUnquote(s, f.val[k].esc) {
		d.tmp = appendUnquoted(d.tmp[:0], s)
		s = d.tmp
	}
	return s, ok
}

// unquotedString returns the string a captured JSON string body denotes, as a new string.
func (d *Decoder) unquotedString(s []byte, esc bool) string {
	if needsUnquote(s, esc) {
		d.tmp = appendUnquoted(d.tmp[:0], s)
		s = d.tmp
	}
	return string(s)
}
