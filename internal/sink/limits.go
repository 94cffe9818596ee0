package sink

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/trailhound/trailhound/internal/alert"
)

// This file holds the per-format escaping and size limits. Alert fields copied from the event
// (user agent, names, error messages) are attacker-controlled: every sink passes them through
// these before they reach a service with its own character set and size rules.

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence, ending it with
// suffix when it was cut (the suffix counts towards n).
func truncate(s string, n int, suffix string) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(suffix)
	if cut < 0 {
		return suffix[:n]
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + suffix
}

// truncateRunes shortens s to at most n characters (runes), ending it with "..." when cut.
// Security Hub counts its limits in characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// cleanLine makes an untrusted value one printable line: alert.Clean shows control, format and
// bidi characters as escapes instead of passing them on.
func cleanLine(s string) string { return alert.Clean(s) }

// asciiLine reduces s to printable ASCII on one line (SNS subjects): other characters become
// '?', and runs of whitespace one space.
func asciiLine(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		case r > 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

// marshalAlert encodes the alert as Alert v1 JSON that every AWS message service accepts.
// encoding/json escapes control characters and replaces invalid UTF-8, but passes through
// characters SQS rejects (U+FFFE, U+FFFF and the other noncharacters outside its allowed set);
// an attacker could put one in a user agent to make every delivery fail. They are escaped as
// \uXXXX, which stays valid JSON for the same value.
func marshalAlert(a *alert.Alert) ([]byte, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode alert %s: %w", a.ID, err)
	}
	return escapeDisallowed(b), nil
}

// sqsAllowed reports whether r is in the character set SQS accepts in a message body and
// attribute values: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func sqsAllowed(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// escapeDisallowed rewrites characters outside sqsAllowed in JSON text as \uXXXX escapes
// (UTF-16 surrogate pairs above U+FFFF). JSON output only holds such characters inside
// strings, where the escape denotes the same character.
func escapeDisallowed(b []byte) []byte {
	clean := true
	for _, r := range string(b) {
		if !sqsAllowed(r) {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for _, r := range string(b) {
		if sqsAllowed(r) {
			out = utf8.AppendRune(out, r)
			continue
		}
		out = fmt.Appendf(out, `\u%04x`, r)
	}
	return out
}

// attrValue makes a message attribute value SQS and SNS accept: not empty, allowed
// characters only, at most 256 bytes (attribute values are small labels here).
func attrValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		if sqsAllowed(r) && r >= 0x20 {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return truncate(b.String(), 256, "...")
}

// groupID is the FIFO message group of an alert: the actor's ARN, so one principal's alerts
// stay in order, falling back to the event's account. FIFO group ids are at most 128
// printable ASCII characters; a longer or stranger ARN is replaced by a stable hash of it.
func groupID(a *alert.Alert) string {
	g := a.Actor.ARN
	if g == "" {
		g = a.Actor.Account
	}
	if g == "" {
		g = a.Event.Account
	}
	if g == "" {
		return "unknown"
	}
	ok := len(g) <= 128
	for i := 0; ok && i < len(g); i++ {
		ok = g[i] > 0x20 && g[i] < 0x7f
	}
	if ok {
		return g
	}
	sum := sha256.Sum256([]byte(g))
	return "actor-" + hex.EncodeToString(sum[:16])
}

// batches splits items into consecutive groups of at most maxN items and maxBytes bytes
// (as measured by size). An item larger than maxBytes on its own gets a group of its own, for
// the service to reject by name.
func batches[T any](items []T, maxN, maxBytes int, size func(T) int) [][]T {
	var out [][]T
	var cur []T
	bytes := 0
	for _, it := range items {
		n := size(it)
		if len(cur) > 0 && (len(cur) == maxN || bytes+n > maxBytes) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, it)
		bytes += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// dedupID is the FIFO deduplication id of an alert: its id, so a redelivered event is dropped
// by the queue, plus the dedup count when above 1, so a dedup update (the same alert id
// re-delivered with a higher dedup.count) is not mistaken for a redelivery.
func dedupID(a *alert.Alert) string {
	if a.Dedup.Count > 1 {
		return fmt.Sprintf("%s-%d", a.ID, a.Dedup.Count)
	}
	return a.ID
}
