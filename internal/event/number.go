package event

// NumberEnd scans the JSON number (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)
// that starts at b[i] and returns the index just after it, with an empty problem. When b[i:]
// does not start with a number, it returns the index of the offending byte and what is wrong
// there, in encoding/json's words ("in numeric literal", ...). It is the one number grammar of
// the module: the record scanner, the engine's input parser and the alert encoder use it.
func NumberEnd[T ~string | ~[]byte](b T, i int) (end int, problem string) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return i, "in numeric literal"
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return i, "after decimal point in numeric literal"
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return i, "in exponent of numeric literal"
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i, ""
}

// IsNumber reports whether s is exactly one JSON number.
func IsNumber(s string) bool {
	end, problem := NumberEnd(s, 0)
	return problem == "" && end == len(s)
}
