package alert

import "strings"

// ShellQuote returns s as one POSIX shell word: unchanged when it holds only characters no
// shell treats specially, otherwise in single quotes with embedded single quotes escaped.
// Event values are attacker-controlled; every value placed into a CLI command goes through
// this.
func ShellQuote(s string) string {
	if s != "" && shellSafe(s) {
		return s
	}
	return string(appendShellQuoted(nil, s))
}

// appendShellQuoted appends ShellQuote(s) to b.
func appendShellQuoted(b []byte, s string) []byte {
	if s == "" {
		return append(b, "''"...)
	}
	if shellSafe(s) {
		return append(b, s...)
	}
	b = append(b, '\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		b = append(b, s[:i]...)
		b = append(b, `'\''`...)
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '\'')
}

// shellSafe reports whether s holds only [A-Za-z0-9_@%+=:,./-].
func shellSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !shellSafeByte[s[i]] {
			return false
		}
	}
	return true
}

var shellSafeByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "_@%+=:,./-" {
		t[c] = true
	}
	return t
}()
