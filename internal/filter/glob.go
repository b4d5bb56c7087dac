package filter

import (
	"strings"
	"unicode/utf8"
)

// Glob is a compiled pattern of a filter parameter: '*' matches any run of characters (also
// none) and '?' exactly one character; every other byte matches itself. Patterns are ASCII (Parse
// checks each parameter's character set first); the text matched may be any string.
//
// Matching is linear in the text's length: it never backtracks across stars (the pattern is cut
// at its stars and each piece is placed at its leftmost fit, scanning the text once from left to
// right), and a piece holding '?' is found by a bit-parallel scan (shift-and) that reads each
// character of the text once, whatever the piece. The cost is the text's length times one to four
// machine words (pieces are at most [MaxItemBytes] long), however many stars and '?' the pattern
// has. The zero Glob matches only the empty string.
type Glob struct {
	pattern string      // runs of '*' collapsed to one
	parts   []string    // pattern cut at its stars; len(parts)-1 is the number of stars
	finders []*shiftAnd // for each middle part (parts[1:len(parts)-1]) holding '?', its finder; else nil
}

// compileGlob compiles an ASCII pattern; see [Glob].
func compileGlob(pattern string) Glob {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '*' && i > 0 && pattern[i-1] == '*' {
			continue
		}
		b.WriteByte(pattern[i])
	}
	p := b.String()
	g := Glob{pattern: p, parts: strings.Split(p, "*")}
	if len(g.parts) > 2 {
		g.finders = make([]*shiftAnd, len(g.parts)-2)
		for i, part := range g.parts[1 : len(g.parts)-1] {
			if strings.IndexByte(part, '?') >= 0 {
				g.finders[i] = newShiftAnd(part)
			}
		}
	}
	return g
}

// String returns the pattern, with runs of '*' collapsed to one.
func (g Glob) String() string { return g.pattern }

// Equal reports whether g and h are the same pattern.
func (g Glob) Equal(h Glob) bool { return g.pattern == h.pattern }

// Match reports whether the pattern matches all of s. It does not allocate.
func (g Glob) Match(s string) bool {
	if len(g.parts) <= 1 { // no star: the one part must cover s exactly
		end, ok := matchPart(g.pattern, s, 0)
		return ok && end == len(s)
	}
	i, ok := matchPart(g.parts[0], s, 0)
	if !ok {
		return false
	}
	last := len(g.parts) - 1
	for k, p := range g.parts[1:last] {
		if f := g.finders[k]; f != nil {
			i, ok = f.find(s, i)
		} else {
			i, ok = findPart(p, s, i)
		}
		if !ok {
			return false
		}
	}
	start, ok := matchPartBack(g.parts[last], s)
	return ok && start >= i
}

// matchPart matches the star-free part p against s from byte offset i and returns where the
// match ends: '?' takes one character (one byte of invalid UTF-8), any other byte itself.
func matchPart(p, s string, i int) (end int, ok bool) {
	for j := 0; j < len(p); j++ {
		if i >= len(s) {
			return 0, false
		}
		if p[j] == '?' {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		if s[i] != p[j] {
			return 0, false
		}
		i++
	}
	return i, true
}

// matchPartBack matches the star-free part p against the end of s and returns where in s the
// match starts.
func matchPartBack(p, s string) (start int, ok bool) {
	i := len(s)
	for j := len(p) - 1; j >= 0; j-- {
		if i == 0 {
			return 0, false
		}
		if p[j] == '?' {
			_, size := utf8.DecodeLastRuneInString(s[:i])
			i -= size
			continue
		}
		if s[i-1] != p[j] {
			return 0, false
		}
		i--
	}
	return i, true
}

// findPart finds the leftmost match of the star-free part p, which holds no '?', in s at or after
// byte offset i and returns where it ends. The leftmost match leaves the most text for the parts
// after it, so the first one found is the one to keep.
func findPart(p, s string, i int) (end int, ok bool) {
	j := strings.Index(s[i:], p) // p is ASCII, so it can only match on a character boundary
	if j < 0 {
		return 0, false
	}
	return i + j + len(p), true
}
