package jsonscan

import (
	"bytes"
	"fmt"
)

// MaxDepth bounds nesting as encoding/json does, so both accept the same documents.
const MaxDepth = 10000

// Validate checks that b is exactly one JSON value, with the grammar encoding/json accepts
// (RFC 8259; invalid UTF-8 inside strings is let through, as encoding/json does). compact
// reports that no whitespace separates its tokens, so that no span of b needs [json.Compact].
func Validate(b []byte) (compact bool, err error) {
	v := validator{b: b}
	i := v.value(v.space(0))
	if i >= 0 {
		i = v.space(i)
	}
	if i != len(b) {
		if i < 0 {
			i = v.bad
		}
		return false, fmt.Errorf("malformed JSON at offset %d", i)
	}
	return !v.spaced, nil
}

// validator is the state of one [Validate] call. Its methods take the offset where a token
// starts and return the offset just past it, or -1 after recording the offending offset in bad.
type validator struct {
	b      []byte
	depth  int
	spaced bool
	bad    int
}

func (v *validator) fail(i int) int {
	v.bad = i
	return -1
}

func (v *validator) space(i int) int {
	for ; i < len(v.b); i++ {
		switch v.b[i] {
		case ' ', '\t', '\n', '\r':
			v.spaced = true
		default:
			return i
		}
	}
	return i
}

func (v *validator) value(i int) int {
	if i >= len(v.b) {
		return v.fail(i)
	}
	switch c := v.b[i]; {
	case c == '{' || c == '[':
		return v.container(i)
	case c == '"':
		return v.Unquote(i)
	case c == '-' || '0' <= c && c <= '9':
		return v.number(i)
	case c == 't':
		return v.literal(i, "true")
	case c == 'f':
		return v.literal(i, "false")
	case c == 'n':
		return v.literal(i, "null")
	}
	return v.fail(i)
}

// container validates the object or array opening at b[i].
func (v *validator) container(i int) int {
	if v.depth++; v.depth > MaxDepth {
		return v.fail(i)
	}
	closer := byte(']')
	if v.b[i] == '{' {
		closer = '}'
	}
	i = v.space(i + 1)
	if i < len(v.b) && v.b[i] == closer {
		v.depth--
		return i + 1
	}
	for {
		if closer == '}' {
			if i >= len(v.b) || v.b[i] != '"' {
				return v.fail(i)
			}
			if i = v.Unquote(i); i < 0 {
				return -1
			}
			if i = v.space(i); i >= len(v.b) || v.b[i] != ':' {
				return v.fail(i)
			}
			i = v.space(i + 1)
		}
		if i = v.value(i); i < 0 {
			return -1
		}
		switch i = v.space(i); {
		case i < len(v.b) && v.b[i] == ',':
			i = v.space(i + 1)
		case i < len(v.b) && v.b[i] == closer:
			v.depth--
			return i + 1
		default:
			return v.fail(i)
		}
	}
}

func (v *validator) Unquote(i int) int {
	b := v.b
	for i++; i < len(b); i++ {
		for i < len(b) && plain[b[i]] { // the fast path: most bytes of a string
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return v.fail(i)
		case c == '\\':
			if i++; i >= len(b) {
				return v.fail(i)
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return v.fail(i)
				}
				i += 4
			default:
				return v.fail(i)
			}
		}
	}
	return v.fail(i)
}

// plain holds the bytes that stand for themselves inside a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (v *validator) number(i int) int {
	b := v.b
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return v.fail(i)
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return v.fail(j)
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := digits(b, i); j > i {
			i = j
		} else {
			return v.fail(j)
		}
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func (v *validator) literal(i int, lit string) int {
	if !bytes.HasPrefix(v.b[i:], []byte(lit)) {
		return v.fail(i)
	}
	return i + len(lit)
}
