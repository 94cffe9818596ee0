package engine

import (
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// RecordFields are the record fields an alert copies that are not in event.Header, read from
// the input the rules saw (ReadRecordFields), so that building the alert does not decode the
// record again. The zero value is not Known.
type RecordFields struct {
	SourceIP     string // sourceIPAddress
	UserAgent    string // userAgent
	ErrorMessage string // errorMessage
	AccountID    string // userIdentity.accountId
	ReadOnly     bool   // readOnly is true (or "true", any case)
	known        bool
}

// Known reports whether ReadRecordFields read the fields.
func (f RecordFields) Known() bool { return f.known }

var (
	topFieldNames      = []string{"sourceIPAddress", "userAgent", "errorMessage", "readOnly", "userIdentity"}
	identityFieldNames = []string{"accountId"}
)

// ReadRecordFields reads the RecordFields from input, the record as the rules saw it (Input,
// maybe WithEnrichment), where that gives what encoding/json gives of the raw record. For
// anything else (a field of another type, a key matching a field only case-insensitively,
// invalid UTF-8) the fields are not Known: the caller reads them from the raw record.
func ReadRecordFields(input ast.Value) RecordFields {
	var f RecordFields
	obj, isObj := input.(ast.Object)
	if !isObj || foldedKey(obj, topFieldNames) {
		return RecordFields{}
	}
	var ok bool
	for i, dst := range []*string{&f.SourceIP, &f.UserAgent, &f.ErrorMessage} {
		if *dst, ok = stringAt(obj, topFieldNames[i]); !ok {
			return RecordFields{}
		}
	}
	switch id := valueAt(obj, "userIdentity").(type) {
	case nil, ast.Null:
	case ast.Object:
		if foldedKey(id, identityFieldNames) {
			return RecordFields{}
		}
		if f.AccountID, ok = stringAt(id, "accountId"); !ok {
			return RecordFields{}
		}
	default:
		return RecordFields{}
	}
	switch x := valueAt(obj, "readOnly").(type) {
	case ast.Boolean:
		f.ReadOnly = bool(x)
	case ast.String:
		f.ReadOnly = strings.EqualFold(string(x), "true")
	}
	f.known = true
	return f
}

// fieldTerms are the field names as terms, made once.
var fieldTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, n := range append(topFieldNames, identityFieldNames...) {
		m[n] = ast.StringTerm(n)
	}
	return m
}()

// valueAt is obj[key] (one of the field names), nil when absent.
func valueAt(obj ast.Object, key string) ast.Value {
	if t := obj.Get(fieldTerms[key]); t != nil {
		return t.Value
	}
	return nil
}

// stringAt is obj[key] as encoding/json decodes it into a string: "" when absent or null;
// !ok for another type or invalid UTF-8.
func stringAt(obj ast.Object, key string) (string, bool) {
	switch x := valueAt(obj, key).(type) {
	case nil, ast.Null:
		return "", true
	case ast.String:
		return string(x), utf8.ValidString(string(x))
	}
	return "", false
}

// foldedKey reports whether obj has a key equal to one of names only case-insensitively,
// which encoding/json would take for that field.
func foldedKey(obj ast.Object, names []string) bool {
	folded := false
	obj.Foreach(func(k, _ *ast.Term) {
		s, isStr := k.Value.(ast.String)
		if !isStr || folded {
			return
		}
		for _, n := range names {
			if string(s) != n && strings.EqualFold(string(s), n) {
				folded = true
			}
		}
	})
	return folded
}
