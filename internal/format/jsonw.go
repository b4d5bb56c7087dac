package format

import (
	"time"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. It escapes '"', '\\' and control characters, turns
// each byte of invalid UTF-8 into U+FFFD, as encoding/json does, and escapes U+2028 and U+2029,
// which JavaScript before ES2019 did not allow in string literals.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is in dst
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[done:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// appendStringOrNull appends s as a JSON string, or null when s is empty.
func appendStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendString(dst, s)
}

// appendBool appends true or false.
func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendTime appends t as a JSON string in UTC, RFC 3339 with milliseconds: "2024-02-10T12:00:00.000Z".
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, timeLayout)
	return append(dst, '"')
}

// timeLayout is how the gateway writes the times it makes itself (seed 2's examples).
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendValue appends the JSON value raw, trimmed of surrounding whitespace, or null when raw is
// empty. raw is trusted to be valid JSON.
func appendValue(dst []byte, raw []byte) []byte {
	raw = trimSpace(raw)
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, raw...)
}

// appendObject appends raw when it is a JSON object, and {} otherwise (null, empty, an array…).
func appendObject(dst []byte, raw []byte) []byte {
	dst = append(dst, '{')
	dst = append(dst, members(raw)...)
	return append(dst, '}')
}

// appendMembers appends the members of the JSON object raw (nothing unless raw is an object),
// preceded by a comma when there are any and more is true, that is when members were already
// written. It reports whether the object now has members.
func appendMembers(dst []byte, raw []byte, more bool) ([]byte, bool) {
	m := members(raw)
	if len(m) == 0 {
		return dst, more
	}
	if more {
		dst = append(dst, ',')
	}
	return append(dst, m...), true
}

// members returns what lies between the braces of the JSON object raw, trimmed of whitespace;
// nothing when raw is not an object. Only the outer braces are looked at: raw is trusted to be
// valid JSON.
func members(raw []byte) []byte {
	raw = trimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return nil
	}
	return trimSpace(raw[1 : len(raw)-1])
}

// trimSpace trims JSON whitespace (space, tab, CR, LF) from both ends of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
