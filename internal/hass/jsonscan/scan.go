package jsonscan

import (
	"bytes"
	"encoding/json"
)

// Skip returns the offset just past the value of valid JSON b that starts at b[i]. On input
// that is not valid it returns some offset in (i, len(b)], never panicking.
func Skip(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i++; i < len(b); i++ { // a number or literal ends at a delimiter
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return i
}

// skipString returns the offset just past the string opening at b[i]. HA's strings are short,
// so a byte loop beats bytes.IndexByte's set-up.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++
		}
	}
	return len(b)
}

// SkipSpace returns the offset of the first byte at or after b[i] that is not JSON whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// Members walks the members of a JSON object, or the elements of an array, in valid JSON. A
// caller may take each value whole ([Members.Next], [Members.Value]) or parse it itself, from
// [Members.At] to the offset it returns to [Members.SkipTo]: then each byte is read once, by
// the walker of the innermost container the caller cares about.
type Members struct {
	b      []byte
	i      int  // offset of the next member, or of the current member's value
	obj    bool // walking an object, not an array
	inside bool // key returned a member whose value has not been consumed
	done   bool // past the closing bracket, at i
}

// Walk returns a walker over the object or array b, or one that yields nothing when b is
// neither.
func Walk(b []byte) Members { return WalkAt(b, 0) }

// EachOf calls f with every element of the array val, or with val itself when it is not an
// array: Home Assistant takes a single value or a list of them in many places (entity_id).
func EachOf(val []byte, f func(v []byte)) {
	if len(val) == 0 || val[0] != '[' {
		f(val)
		return
	}
	for m := Walk(val); ; {
		_, v, ok := m.Next()
		if !ok {
			return
		}
		f(v)
	}
}

// WalkAt returns a walker over the object or array that starts at b[i], or one that yields
// nothing when the value there is neither; either way its [Members.At] is the value's end once
// every member has been walked.
func WalkAt(b []byte, i int) Members {
	if i >= len(b) {
		return Members{b: b, i: len(b), done: true}
	}
	if b[i] != '{' && b[i] != '[' {
		return Members{b: b, i: Skip(b, i), done: true}
	}
	return Members{b: b, i: i + 1, obj: b[i] == '{'}
}

// Key moves to the next member and returns its key (as written, without quotes; nil for an
// array element), leaving the walker at the member's value. It returns ok false at the end.
func (m *Members) Key() (key []byte, ok bool) {
	if m.done {
		return nil, false
	}
	b := m.b
	i := m.i
	if m.inside {
		i = Skip(b, i)
		m.inside = false
	}
	if i = SkipSpace(b, i); i < len(b) && b[i] == ',' {
		i = SkipSpace(b, i+1)
	}
	if i >= len(b) || b[i] == '}' || b[i] == ']' {
		m.i, m.done = min(i+1, len(b)), true
		return nil, false
	}
	if m.obj {
		end := skipString(b, i)
		key = b[i+1 : max(end-1, i+1)]
		if i = SkipSpace(b, end); i < len(b) && b[i] == ':' {
			i = SkipSpace(b, i+1)
		}
		if i >= len(b) {
			m.i, m.done = len(b), true
			return nil, false
		}
	}
	m.i, m.inside = i, true
	return key, true
}

// At returns the offset of the current member's value.
func (m *Members) At() int { return m.i }

// SkipTo consumes the current member's value, which ends at offset end.
func (m *Members) SkipTo(end int) { m.i, m.inside = end, false }

// Value consumes the current member's value and returns it.
func (m *Members) Value() []byte {
	start := m.i
	m.SkipTo(Skip(m.b, start))
	return m.b[start:m.i]
}

// Next returns the next member's key and value, or ok false at the end.
func (m *Members) Next() (key, val []byte, ok bool) {
	if key, ok = m.Key(); !ok {
		return nil, nil, false
	}
	return key, m.Value(), true
}

// Unquote returns the JSON string val as a Go string; ok is false when val is not a string.
func Unquote(val []byte) (s string, ok bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(val, '\\') < 0 {
		return string(val[1 : len(val)-1]), true
	}
	return s, json.Unmarshal(val, &s) == nil
}

// Compact returns b without whitespace between tokens, in a new slice.
func Compact(b []byte) []byte {
	if b == nil {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(b))
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}
