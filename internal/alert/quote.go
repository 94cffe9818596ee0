package alert

import "strings"

// ShellQuote returns s as one POSIX shell word: unchanged when it holds only characters no
// shell treats specially, otherwise in single quotes with embedded single quotes escaped.
// Event values are attacker-controlled; every value placed into a CLI command goes through
// this.
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_@%+=:,./-", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
