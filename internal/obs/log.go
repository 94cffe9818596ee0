// Package obs owns what the Lambda says about itself: structured JSON logs (log/slog) and
// CloudWatch embedded-metric-format (EMF) lines. Logs name events by id, name and source, and
// alerts and rules by id; they never carry whole events, message bodies or secrets.
package obs

import (
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// maxAttrLen bounds a logged string value. Error messages can quote input values (the decoder
// cuts them to 80 bytes); this is a second line of defence against an event ending up in a log.
const maxAttrLen = 2048

// deniedKeys are attribute names that would carry an event, a payload or a credential; the
// logger drops them whatever their value.
var deniedKeys = map[string]bool{
	"event": true, "record": true, "raw": true, "payload": true, "body": true, "detail": true,
	"secret": true, "password": true, "token": true, "session_token": true, "secret_access_key": true,
	"credentials": true, "authorization": true,
}

// NewLogger returns a JSON logger writing one object per line to w at level (LOG_LEVEL:
// internal/settings), with denied
// attributes dropped and long strings cut.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: guard}))
}

// guard is the handler's ReplaceAttr: it drops denied keys and cuts long strings.
func guard(_ []string, a slog.Attr) slog.Attr {
	if deniedKeys[strings.ToLower(a.Key)] {
		return slog.Attr{}
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); len(s) > maxAttrLen {
			return slog.String(a.Key, cut(s, maxAttrLen)+"...(truncated)")
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			s := err.Error()
			if len(s) > maxAttrLen {
				s = cut(s, maxAttrLen) + "...(truncated)"
			}
			return slog.String(a.Key, s)
		}
	}
	return a
}

func cut(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
