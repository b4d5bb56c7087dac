package tail

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// printable returns s with every character a terminal would act on rather than show replaced by
// a visible escape: C0 and C1 controls and DEL (\x1b, \x9b), bytes that are not UTF-8 (a lone
// 0x9b is a CSI to a terminal that is not in UTF-8 mode), and the bidirectional controls that
// reorder what is shown (\u202e). Data from Home Assistant can hold anything: a clear-screen, a
// title change or an OSC 52 clipboard write must reach no terminal, with colour or without.
func printable(s string) string {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) { // plain ASCII: nearly everything
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || 0x7f <= r && r <= 0x9f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case bidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// bidiControl reports whether r is one of Unicode's bidirectional formatting characters.
func bidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069
}

// jsonPrintable returns the JSON text b with what printable escapes in its strings written as
// JSON escapes instead (the same JSON value; bytes that are not UTF-8 become U+FFFD): a JSON
// line read on a terminal is as harmless as a pretty one. Valid JSON holds no raw C0 control.
func jsonPrintable(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := append(make([]byte, 0, len(b)+16), b[:i]...)
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r == 0x7f || 0x80 <= r && r <= 0x9f || bidiControl(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// makePrintable passes every text of v that came from the stream through printable.
func (v *view) makePrintable() {
	for _, s := range []*string{&v.kind, &v.label, &v.entity, &v.unit, &v.detail, &v.code, &v.since, &v.client, &v.message} {
		*s = printable(*s)
	}
	for _, s := range []**string{&v.old, &v.new} {
		if *s != nil {
			p := printable(**s)
			*s = &p
		}
	}
	for i := range v.ignored {
		v.ignored[i] = printable(v.ignored[i])
	}
}
