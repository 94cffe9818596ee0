package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
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
// readOnly (whether it is true) and userIdentity.accountId. From parsed, the record as the
// rules saw it, when it is given and plain; otherwise (and with encoding/json's answer in
// every case) from raw. A field of a type AWS does not send (userAgent: 5) does not lose the
// alert: it is shown as its JSON text, and odd names it (see tolerantFields).
func recordFields(raw []byte, parsed ast.Value) (sourceIP, userAgent, errorMessage, accountID string, readOnly bool, odd []string, err error) {
	if f, ok := parsedFields(parsed); ok {
		return f[0], f[1], f[2], f[3], f.readOnly(parsed), nil, nil
	}
	var ef eventFields
	if err := json.Unmarshal(raw, &ef); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return "", "", "", "", false, nil, fmt.Errorf("build alert: read record fields: %w", err)
		}
		return tolerantFields(raw)
	}
	return ef.SourceIPAddress, ef.UserAgent, ef.ErrorMessage, ef.UserIdentity.AccountID, isTrue(ef.ReadOnly), nil, nil
}

// tolerantFields reads the eventFields of a record in which some have a type AWS does not
// send: a string is itself; null or absent is ""; anything else is its JSON text, and its
// path is listed in odd.
func tolerantFields(raw []byte) (sourceIP, userAgent, errorMessage, accountID string, readOnly bool, odd []string, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return "", "", "", "", false, nil, fmt.Errorf("build alert: read record fields: %w", err)
	}
	str := func(m map[string]json.RawMessage, key, path string) string {
		v, ok := m[key]
		if !ok {
			return ""
		}
		var s *string
		if json.Unmarshal(v, &s) == nil {
			if s == nil {
				return ""
			}
			return *s
		}
		odd = append(odd, path)
		return string(v)
	}
	sourceIP = str(top, "sourceIPAddress", "sourceIPAddress")
	userAgent = str(top, "userAgent", "userAgent")
	errorMessage = str(top, "errorMessage", "errorMessage")
	var ro any
	_ = json.Unmarshal(top["readOnly"], &ro)
	readOnly = isTrue(ro)
	if id, ok := top["userIdentity"]; ok {
		var idm map[string]json.RawMessage
		if json.Unmarshal(id, &idm) == nil {
			accountID = str(idm, "accountId", "userIdentity.accountId")
		} else if string(id) != "null" {
			odd = append(odd, "userIdentity")
		}
	}
	return sourceIP, userAgent, errorMessage, accountID, readOnly, odd, nil
}

// plainFields are sourceIPAddress, userAgent, errorMessage and userIdentity.accountId.
type plainFields [4]string

var (
	topFieldNames      = []string{"sourceIPAddress", "userAgent", "errorMessage", "readOnly", "userIdentity"}
	identityFieldNames = []string{"accountId"}
)

// parsedFields reads the fields from the parsed record where that gives what encoding/json
// gives: ok is false for anything else (a field of another type, a key matching a field only
// case-insensitively, invalid UTF-8), which is then read from the raw record.
func parsedFields(v ast.Value) (f plainFields, ok bool) {
	obj, isObj := v.(ast.Object)
	if !isObj || foldedKey(obj, topFieldNames) {
		return f, false
	}
	for i, key := range topFieldNames[:3] {
		if f[i], ok = stringAt(obj, key); !ok {
			return f, false
		}
	}
	switch id := valueAt(obj, "userIdentity").(type) {
	case nil, ast.Null:
	case ast.Object:
		if foldedKey(id, identityFieldNames) {
			return f, false
		}
		if f[3], ok = stringAt(id, "accountId"); !ok {
			return f, false
		}
	default:
		return f, false
	}
	return f, true
}

// readOnly is isTrue of the record's readOnly.
func (plainFields) readOnly(v ast.Value) bool {
	switch x := valueAt(v.(ast.Object), "readOnly").(type) {
	case ast.Boolean:
		return bool(x)
	case ast.String:
		return strings.EqualFold(string(x), "true")
	}
	return false
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

// validNumber reports whether s is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s string) bool {
	b, i := s, 0
	if len(b) == 0 {
		return false
	}
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
	return i == len(b)
}
