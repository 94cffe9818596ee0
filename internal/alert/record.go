package alert

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/trailhound/trailhound/internal/engine"
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
// readOnly (whether it is true) and userIdentity.accountId. From read, the fields the caller
// read from the record as the rules saw it (engine.ReadRecordFields), when they are Known;
// otherwise (with the same answer) from raw. A field of a type AWS does not send
// (userAgent: 5) does not lose the alert: it is shown as its JSON text, and odd names it (see
// tolerantFields).
func recordFields(raw []byte, read engine.RecordFields) (sourceIP, userAgent, errorMessage, accountID string, readOnly bool, odd []string, err error) {
	if read.Known() {
		return read.SourceIP, read.UserAgent, read.ErrorMessage, read.AccountID, read.ReadOnly, nil, nil
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
