package format

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"light.kitchen", `"light.kitchen"`},
		{`say "hi"\`, `"say \"hi\"\\"`},
		{"a\nb\rc\td", `"a\nb\rc\td"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"Küche 🌡", `"Küche 🌡"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"a\xffb", `"a\ufffdb"`},
		{"\xe2\x82", `"\ufffd\ufffd"`}, // a cut-off rune: one U+FFFD per byte, as encoding/json
		{"</script>&", `"</script>&"`},
	} {
		got := appendString(nil, tc.in)
		if string(got) != tc.want {
			t.Errorf("appendString(nil, %q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzAppendString checks appendString against encoding/json: the output is always a valid JSON
// string, which decodes to the input with each byte of invalid UTF-8 read as U+FFFD.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "light.kitchen", "\"\\\n\x00", "\u2028é\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendString(nil, %q) = %s, not a JSON string: %v", s, b, err)
		}
		var want strings.Builder
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			want.WriteRune(r) // utf8.RuneError is U+FFFD
			i += size
		}
		if got != want.String() {
			t.Errorf("appendString(nil, %q) = %s, decodes to %q", s, b, got)
		}
	})
}

func TestMembers(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"a":1}`, `"a":1`},
		{" {\n \"a\" : 1 ,\"b\":{}\r\n} ", "\"a\" : 1 ,\"b\":{}"},
		{`{}`, ``},
		{`{ }`, ``},
		{``, ``},
		{`null`, ``},
		{`[{}]`, ``},
		{`"{}"`, ``},
	} {
		if got := members([]byte(tc.raw)); string(got) != tc.want {
			t.Errorf("members(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}

func TestAppendTime(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC), `"2024-02-10T12:00:00.000Z"`},
		{time.Date(2024, 2, 10, 13, 0, 0, 123456789, time.FixedZone("CET", 3600)), `"2024-02-10T12:00:00.123Z"`},
	} {
		if got := appendTime(nil, tc.in); string(got) != tc.want {
			t.Errorf("appendTime(nil, %v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
