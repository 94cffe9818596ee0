package event

// Split calls yield for each item of b, split the way the decoder splits an input: every
// top-level JSON value, every element of a top-level array, and, for an object with a
// "Records" array (a CloudTrail log file, a Lambda SQS batch) at top level or in a top-level
// array, every element of that array instead of the object. line is the 1-based line where the
// item starts; item aliases b. A leading UTF-8 BOM is skipped; gzip input must be decompressed
// first.
//
// Split validates the JSON grammar as strictly as the decoder but neither reads header fields,
// classifies items nor unwraps envelopes: it is the floor that replay benchmarks measure the
// decoder against. It stops at the first syntax error and returns it (wrapping ErrSyntax, with
// its line and column); it returns nil when yield returns false.
func Split(b []byte, yield func(item []byte, line int) bool) error {
	s := splitter{b: b, yield: yield}
	s.lines.reset()
	i := 0
	if len(b) >= len(utf8BOM) && string(b[:len(utf8BOM)]) == string(utf8BOM) {
		i = len(utf8BOM)
	}
	for !s.stopped {
		if i = skipWS(b, i); i >= len(b) {
			return nil
		}
		s.cur, s.curLine = i, s.lines.at(b, i)
		end, err := s.item(i, 0, true)
		if err == stopScan {
			return nil
		}
		if err != nil {
			return syntaxErr(b, err, s.cur, s.curLine)
		}
		i = end
	}
	return nil
}

// splitter is Split's state.
type splitter struct {
	b            []byte
	yield        func([]byte, int) bool
	stopped      bool
	lines        lineCounter
	cur, curLine int // the item being scanned
	key          []byte
}

// item scans the value at b[i]; top is true for a top-level value (whose arrays are streamed)
// and for an element of a top-level array (whose Records are streamed).
func (s *splitter) item(i, depth int, top bool) (int, *syntaxError) {
	b := s.b
	start, line := i, s.curLine
	var end int
	var err *syntaxError
	switch {
	case b[i] == '[' && depth == 0:
		return s.array(i, depth+1)
	case b[i] == '{' && top:
		var streamed bool
		end, streamed, err = s.object(i, depth+1)
		if err != nil || streamed {
			return end, err
		}
	default:
		if end, err = scanValue(b, i, depth); err != nil {
			return end, err
		}
	}
	if !s.yield(b[start:end], line) {
		s.stopped = true
		return end, stopScan
	}
	return end, nil
}

// array streams the array at b[i] (own depth depth), each element an item.
func (s *splitter) array(i, depth int) (int, *syntaxError) {
	b := s.b
	if depth > maxDepth {
		return i, tooDeep(i)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, errAt(b, i, "looking for beginning of value")
		}
		s.cur, s.curLine = i, s.lines.at(b, i)
		end, err := s.item(i, depth, depth == 1)
		if err != nil {
			return end, err
		}
		if i = skipWS(b, end); i < len(b) {
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
				continue
			case ']':
				return i + 1, nil
			}
		}
		return i, errAt(b, i, "after array element")
	}
}

// object scans the object at b[i] (own depth depth), streaming the elements of a "Records"
// array as items; streamed reports whether it did.
func (s *splitter) object(i, depth int) (end int, streamed bool, err *syntaxError) {
	b := s.b
	if depth > maxDepth {
		return i, false, tooDeep(i)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, false, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, streamed, errAt(b, i, "looking for beginning of object key string")
		}
		ks := i
		end, esc, err := scanString(b, i)
		if err != nil {
			return end, streamed, err
		}
		key := b[ks+1 : end-1]
		if esc {
			s.key = appendUnquoted(s.key[:0], key)
			key = s.key
		}
		if i = skipWS(b, end); i >= len(b) || b[i] != ':' {
			return i, streamed, errAt(b, i, "after object key")
		}
		i = skipWS(b, i+1)
		if !streamed && string(key) == "Records" && i < len(b) && b[i] == '[' {
			cur, curLine := s.cur, s.curLine
			if i, err = s.array(i, depth+1); err == nil {
				s.cur, s.curLine = cur, curLine
			}
			streamed = true
		} else {
			i, err = scanValue(b, i, depth)
		}
		if err != nil {
			return i, streamed, err
		}
		if i = skipWS(b, i); i < len(b) {
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
				continue
			case '}':
				return i + 1, streamed, nil
			}
		}
		return i, streamed, errAt(b, i, "after object key:value pair")
	}
}
