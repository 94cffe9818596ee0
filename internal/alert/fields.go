package alert

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// fieldKind says where a template path's value is in an Alert.
type fieldKind uint8

const (
	fieldNone fieldKind = iota // not a template field: never has a value
	fieldRuleID
	fieldRuleTitle
	fieldEventID
	fieldEventName
	fieldEventSource
	fieldEventTime
	fieldEventAccount
	fieldEventRegion
	fieldEventSourceIP
	fieldEventUserAgent
	fieldEventErrorCode
	fieldEventErrorMessage
	fieldActorType
	fieldActorARN
	fieldActorName
	fieldActorAccount
	fieldActorAccessKeyID
	fieldActorSessionIssuer
	fieldActorInvokedBy
	fieldActorMFA
	fieldTarget  // target.<key>
	fieldContext // context.<key>
)

// fixedFields are the template paths of the Alert's own fields (see Fields).
var fixedFields = map[string]fieldKind{
	"rule.id": fieldRuleID, "rule.title": fieldRuleTitle,
	"event.id": fieldEventID, "event.name": fieldEventName, "event.source": fieldEventSource,
	"event.time": fieldEventTime, "event.account": fieldEventAccount, "event.region": fieldEventRegion,
	"event.source_ip": fieldEventSourceIP, "event.user_agent": fieldEventUserAgent,
	"event.error_code": fieldEventErrorCode, "event.error_message": fieldEventErrorMessage,
	"actor.type": fieldActorType, "actor.arn": fieldActorARN, "actor.name": fieldActorName,
	"actor.account": fieldActorAccount, "actor.access_key_id": fieldActorAccessKeyID,
	"actor.session_issuer": fieldActorSessionIssuer, "actor.invoked_by": fieldActorInvokedBy,
	"actor.mfa_authenticated": fieldActorMFA,
}

// fieldRef is a template path resolved once: value reads it from an alert without building
// the map Fields returns.
type fieldRef struct {
	path string
	kind fieldKind
	key  string // for target.* and context.*
}

func resolve(path string) fieldRef {
	if k, ok := fixedFields[path]; ok {
		return fieldRef{path: path, kind: k}
	}
	if key, ok := strings.CutPrefix(path, "target."); ok {
		return fieldRef{path: path, kind: fieldTarget, key: key}
	}
	if key, ok := strings.CutPrefix(path, "context."); ok {
		return fieldRef{path: path, kind: fieldContext, key: key}
	}
	return fieldRef{path: path}
}

// value is Fields(a)[path]: the value and whether it is present and not empty.
func (f *fieldRef) value(a *Alert) (string, bool) {
	var v string
	switch f.kind {
	case fieldRuleID:
		v = a.Rule.ID
	case fieldRuleTitle:
		v = a.Rule.Title
	case fieldEventID:
		v = a.Event.ID
	case fieldEventName:
		v = a.Event.Name
	case fieldEventSource:
		v = a.Event.Source
	case fieldEventTime:
		v = a.Event.Time
	case fieldEventAccount:
		v = a.Event.Account
	case fieldEventRegion:
		v = a.Event.Region
	case fieldEventSourceIP:
		v = a.Event.SourceIP
	case fieldEventUserAgent:
		v = a.Event.UserAgent
	case fieldEventErrorCode:
		v = a.Event.ErrorCode
	case fieldEventErrorMessage:
		v = a.Event.ErrorMessage
	case fieldActorType:
		v = a.Actor.Type
	case fieldActorARN:
		v = a.Actor.ARN
	case fieldActorName:
		v = a.Actor.Name
	case fieldActorAccount:
		v = a.Actor.Account
	case fieldActorAccessKeyID:
		v = a.Actor.AccessKeyID
	case fieldActorSessionIssuer:
		v = a.Actor.SessionIssuer
	case fieldActorInvokedBy:
		v = a.Actor.InvokedBy
	case fieldActorMFA:
		v = strconv.FormatBool(a.Actor.MFAAuthenticated)
	case fieldTarget:
		v = a.Target[f.key]
	case fieldContext:
		v = contextValue(a.Context[f.key])
	}
	return v, v != ""
}

// contextValue is the template value of a context entry: scalars only.
func contextValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}

// Fields returns the alert's template fields as a flat map of dotted paths ("actor.arn",
// "target.user_name", "event.account", "context.days_unused", "rule.id"). Only present,
// non-empty scalar values are included.
func Fields(a *Alert) map[string]string {
	out := make(map[string]string, len(fixedFields)+len(a.Target)+len(a.Context))
	for path, kind := range fixedFields {
		if v, ok := (&fieldRef{kind: kind}).value(a); ok {
			out[path] = v
		}
	}
	for k, v := range a.Target {
		if v != "" {
			out["target."+k] = v
		}
	}
	for k, v := range a.Context {
		if s := contextValue(v); s != "" {
			out["context."+k] = s
		}
	}
	return out
}
