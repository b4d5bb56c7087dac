package filter

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"a", "a", true},
		{"a", "ab", false},
		{"ab", "a", false},
		{"*", "", true},
		{"*", "anything at all", true},
		{"**", "x", true},
		{"?", "", false},
		{"?", "a", true},
		{"?", "ab", false},
		{"?", "é", true}, // one character, two bytes
		{"??", "é", false},
		{"?", "\xff", true}, // one byte of invalid UTF-8 counts as one character
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "abbc", false},
		{"light.*", "light.kitchen", true},
		{"light.*", "light.", true},
		{"light.*", "lights.kitchen", false},
		{"light.*", "switch.light", false},
		{"*_temperature", "sensor.kitchen_temperature", true},
		{"*_temperature", "sensor.kitchen_temperature_2", false},
		{"sensor.*_*", "sensor.a_b", true},
		{"sensor.*_*", "sensor.ab", false},
		{"*a*b", "aab", true},
		{"*a*b", "aaa", false},
		{"*a*b", "bab", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "acb", false},
		{"a*a", "a", false},     // prefix and suffix may not overlap
		{"ab*ba", "aba", false}, // nor here
		{"ab*ba", "abba", true},
		{"*ab*ba", "aba", false}, // a middle part and the last part may not overlap either
		{"*ab*ba", "abba", true},
		{"*ab*", "xaby", true},
		{"*ab*", "xayb", false},
		{"*?", "", false},
		{"*?", "x", true},
		{"?*?", "a", false},
		{"?*?", "ab", true},
		{"*.?", "a.é", true},
		{"*?b*", "éb", true},
		{"*??b", "éb", false},
		{"*??a*", "€a", false}, // not from the middle of €
		{"*??a*", "x€a", true},
		{"*a?c*", "aac abc", true},
		{"*a?c*", "aaab", false},
		{"service_*", "service_called", true},
		{"server:*", "server:cpu", true},
	} {
		if got := compileGlob(tc.pattern).Match(tc.s); got != tc.want {
			t.Errorf("compileGlob(%q).Match(%q) = %t, want %t", tc.pattern, tc.s, got, tc.want)
		}
		if got := refMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("refMatch(%q, %q) = %t, want %t (the reference is wrong)", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestGlobString(t *testing.T) {
	for _, tc := range []struct{ pattern, want string }{
		{"light.*", "light.*"},
		{"li***t.?*", "li*t.?*"},
		{"**", "*"},
	} {
		if got := compileGlob(tc.pattern).String(); got != tc.want {
			t.Errorf("compileGlob(%q).String() = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

// TestGlobPathological would not finish with a matcher that backtracks across stars.
func TestGlobPathological(t *testing.T) {
	pattern := strings.Repeat("*a", 100) + "*b"
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{strings.Repeat("a", MaxItemBytes), false},
		{strings.Repeat("a", MaxItemBytes) + "b", true},
		{strings.Repeat("a", 99) + "b", false},
	} {
		if got := compileGlob(pattern).Match(tc.s); got != tc.want {
			t.Errorf("compileGlob(%q).Match(%q) = %t, want %t", pattern, tc.s, got, tc.want)
		}
	}
	pattern = strings.Repeat("*?", 100) + "*b"
	if compileGlob(pattern).Match(strings.Repeat("a", 1000)) {
		t.Errorf("compileGlob(%q).Match(1000 × a) = true, want false", pattern)
	}
}

// refMatch is the obvious matcher: dynamic programming over the pattern's bytes and the text's
// characters (one per rune, one per byte of invalid UTF-8, as range does).
func refMatch(pattern, s string) bool {
	text := []rune(s)
	// m[j]: pattern[:i] matches text[:j], for the current i.
	m := make([]bool, len(text)+1)
	m[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(text)+1)
		for j := range next {
			switch c := pattern[i]; {
			case c == '*':
				next[j] = m[j] || j > 0 && next[j-1]
			case j == 0:
			case c == '?':
				next[j] = m[j-1]
			default:
				next[j] = m[j-1] && text[j-1] == rune(c)
			}
		}
		m = next
	}
	return m[len(text)]
}

func FuzzGlob(f *testing.F) {
	f.Add("*a*b", "aab")
	f.Add("a*a", "a")
	f.Add("*?b*", "éb")
	f.Add("?*?", "\xe2\x82\xac\xac")
	f.Add("sensor.*_temperature", "sensor.kitchen_temperature")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		for i := 0; i < len(pattern); i++ {
			if pattern[i] >= 0x80 {
				return // patterns are ASCII: Parse lets nothing else through
			}
		}
		if got, want := compileGlob(pattern).Match(s), refMatch(pattern, s); got != want {
			t.Fatalf("compileGlob(%q).Match(%q) = %t, want %t", pattern, s, got, want)
		}
	})
}

func BenchmarkGlob(b *testing.B) {
	for _, bc := range []struct{ name, pattern, s string }{
		{"suffix", "*_temperature", "sensor.kitchen_temperature"},
		{"prefix", "sensor.kitchen_*", "sensor.kitchen_temperature"},
		{"pathological", strings.Repeat("*a", 100) + "*b", strings.Repeat("a", MaxItemBytes)},
		{"pathological?", strings.Repeat("*?a", 50) + "*b", strings.Repeat("a", MaxItemBytes)},
	} {
		g := compileGlob(bc.pattern)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Match(bc.s)
			}
		})
	}
}

// BenchmarkGlobLongName matches patterns heavy with '?' against a 60 KB name, as a non-admin Home
// Assistant user can put into a call_service event: the cost grows with the name's length alone.
func BenchmarkGlobLongName(b *testing.B) {
	name := "light." + strings.Repeat("a", 60<<10)
	for _, bc := range []struct{ name, pattern string }{
		{"?x100", "*" + strings.Repeat("?", 100) + "b*"},
		{"?ax50", "*" + strings.Repeat("?a", 50) + "b*"},
		{"star?a", strings.Repeat("*?a", 50) + "*b"},
		{"a?x126", "*" + strings.Repeat("a?", 126) + "b*"},
	} {
		g := compileGlob(bc.pattern)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g.Match(name)
			}
		})
	}
}
