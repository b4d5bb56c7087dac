package hass

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"hasse/internal/hass/jsonscan"
)

// Redacted replaces the value of a secret query parameter, as in
// "/api/camera_proxy/camera.driveway?token=REDACTED".
const Redacted = "REDACTED"

// DefaultRedact lists the member names a [Sanitizer] removes by default: the secrets Home
// Assistant's integrations, service calls and scripts carry (a lock's or alarm's code and pin, a
// notifier's api_key, a camera's access_token, passwords and tokens in script variables).
var DefaultRedact = []string{
	"access_token", "refresh_token", "token", "password", "passwd", "passcode", "pin", "code",
	"api_key", "apikey", "secret", "client_secret",
}

// Redactions returns the names to redact: DefaultRedact changed by changes, in order. A name adds
// itself; "-name" removes a name (one of the defaults, or one added before), and "-name" for a
// name not in the list is an error, so that a typo cannot go unnoticed. Names are trimmed; empty
// ones are ignored.
func Redactions(changes []string) ([]string, error) {
	names := slices.Clone(DefaultRedact)
	for _, c := range changes {
		c = strings.TrimSpace(c)
		name, remove := strings.CutPrefix(c, "-")
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case remove && !slices.Contains(names, name):
			return nil, fmt.Errorf("%q: %q is not redacted, so it cannot be removed (redacted: %s)", c, name, strings.Join(names, ","))
		case remove:
			names = slices.DeleteFunc(names, func(n string) bool { return n == name })
		case strings.ContainsAny(name, `"\`):
			return nil, fmt.Errorf("%q: not a member name", c)
		case !slices.Contains(names, name):
			names = append(names, name)
		}
	}
	return names, nil
}

// Sanitizer removes secrets from Home Assistant events and states before anything else sees
// them (SPEC.md §5.3). It is applied once per event at ingest, so no subscriber, replay buffer or
// store ever holds a secret. A Sanitizer is immutable and safe for concurrent use.
//
// What it removes, at any depth of an event's data or a state (attributes, service_data, script
// variables, objects in lists):
//   - members whose name is in the redact list;
//   - the value of every query parameter named token, or named in the redact list, inside
//     URL-like string values: entity_picture "/api/camera_proxy/camera.driveway?token=9c4e…"
//     becomes "…?token=REDACTED".
//
// It compares member names as written: Home Assistant never escapes ASCII in names.
type Sanitizer struct {
	names   []string      // member names removed
	params  []string      // query parameters whose values are replaced
	needles []needle      // a document containing none of these has nothing to sanitise
	groups  []needleGroup // the needles by the byte searched for: one pass over a document for each
}

// NewSanitizer returns a Sanitizer that removes members named in redact (cmd/hasse passes
// [Redactions] of MCP_SSE_REDACT_ATTRIBUTES) and redacts the query parameters token and those in
// redact. Empty names are ignored.
func NewSanitizer(redact []string) *Sanitizer {
	s := &Sanitizer{params: []string{"token"}}
	for _, n := range redact {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(s.names, n) {
			s.names = append(s.names, n)
		}
		if n != "" && !slices.Contains(s.params, n) {
			s.params = append(s.params, n)
		}
	}
	// Every document is searched for each needle before any parsing: a member name as written,
	// quoted ("code" would be found in every "code_format" and "pin" in every "sleeping"), and
	// a query parameter with its '='. A needle containing another needs no search of its own:
	// "access_token=" cannot appear where "token=" does not.
	var subs []string
	for _, n := range s.names {
		subs = append(subs, `"`+n+`"`)
	}
	for _, p := range s.params {
		subs = append(subs, p+"=")
	}
	for i, sub := range subs {
		covered := slices.ContainsFunc(subs[:i], func(q string) bool { return q == sub }) ||
			slices.ContainsFunc(subs, func(q string) bool { return q != sub && strings.Contains(sub, q) })
		if !covered {
			s.needles = append(s.needles, newNeedle(sub))
		}
	}
	for _, n := range s.needles {
		c := n.s[n.anchor]
		if i := slices.IndexFunc(s.groups, func(g needleGroup) bool { return g.c == c }); i >= 0 {
			s.groups[i].needles = append(s.groups[i].needles, n)
		} else {
			s.groups = append(s.groups, needleGroup{c: c, needles: []needle{n}})
		}
	}
	return s
}

// suspect reports whether b may hold something to sanitise. It is the fast path: a pass over b
// for each of a handful of rare bytes, and false for nearly every event.
func (s *Sanitizer) suspect(b []byte) bool {
	for _, g := range s.groups {
		if g.in(b) {
			return true
		}
	}
	return false
}

// needle is a substring to look for, by way of its rarest byte: bytes.Index would stop at every
// 't' of a JSON document when looking for "token", where a 'k' is rare.
type needle struct {
	s      []byte
	anchor int // index in s of the byte searched for
}

// rarity lists bytes from the rarest in Home Assistant's JSON; bytes not listed are rarer still.
// The JSON punctuation comes last: every needle of a member name starts and ends with a quote.
const rarity = "QJZXKVWYBFGPMHUDCLSNRIOTEAqjzxkvwbgfpymhucdlsnriotea_0123456789,:\""

func newNeedle(s string) needle {
	n := needle{s: []byte(s)}
	for i := range s {
		if strings.IndexByte(rarity, s[i]) < strings.IndexByte(rarity, s[n.anchor]) {
			n.anchor = i
		}
	}
	return n
}

// in reports whether b contains n.
func (n needle) in(b []byte) bool {
	return needleGroup{c: n.s[n.anchor], needles: []needle{n}}.in(b)
}

// needleGroup is the needles searched for by way of the same byte c.
type needleGroup struct {
	c       byte
	needles []needle
}

// in reports whether b contains one of g's needles.
func (g needleGroup) in(b []byte) bool {
	for i := 0; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], g.c)
		if j < 0 {
			return false
		}
		i += j
		for _, n := range g.needles {
			if start := i - n.anchor; start >= 0 && start+len(n.s) <= len(b) && bytes.Equal(b[start:start+len(n.s)], n.s) {
				return true
			}
		}
	}
	return false
}

// State returns the state object b (as in get_states) with its secrets removed, and whether
// anything was. b itself is returned when nothing was; b must be valid JSON.
func (s *Sanitizer) State(b []byte) (out []byte, changed bool) {
	if !s.suspect(b) {
		return b, false
	}
	out, changed = s.object(make([]byte, 0, len(b)), b, 0)
	if !changed {
		return b, false
	}
	return out, true
}

// data returns the event data b with its secrets removed, and whether anything was; b itself
// when nothing was.
func (s *Sanitizer) data(b []byte) (out []byte, changed bool) {
	out, changed = s.object(make([]byte, 0, len(b)), b, 0)
	if !changed {
		return b, false
	}
	return out, true
}

// value appends the sanitised copy of the JSON value val to dst, at nesting depth depth.
func (s *Sanitizer) value(dst, val []byte, depth int) (out []byte, changed bool) {
	switch {
	case depth >= jsonscan.MaxDepth: // deeper than any document jsonscan.Validate lets through
		return append(dst, val...), false
	case val[0] == '{':
		return s.object(dst, val, depth+1)
	case val[0] == '[':
		return s.array(dst, val, depth+1)
	case val[0] == '"':
		return s.appendString(dst, val)
	}
	return append(dst, val...), false
}

// object appends the sanitised copy of object obj to dst.
func (s *Sanitizer) object(dst, obj []byte, depth int) (out []byte, changed bool) {
	dst = append(dst, '{')
	first := true
	for m := jsonscan.Walk(obj); ; {
		key, val, ok := m.Next()
		if !ok {
			break
		}
		if slices.Contains(s.names, string(key)) {
			changed = true
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(append(append(dst, '"'), key...), '"', ':')
		var c bool
		dst, c = s.value(dst, val, depth)
		changed = changed || c
	}
	return append(dst, '}'), changed
}

// array appends the sanitised copy of array arr to dst.
func (s *Sanitizer) array(dst, arr []byte, depth int) (out []byte, changed bool) {
	dst = append(dst, '[')
	first := true
	for m := jsonscan.Walk(arr); ; {
		_, val, ok := m.Next()
		if !ok {
			break
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		var c bool
		dst, c = s.value(dst, val, depth)
		changed = changed || c
	}
	return append(dst, ']'), changed
}

// appendString appends the JSON string val to dst with secret query values redacted.
func (s *Sanitizer) appendString(dst, val []byte) (out []byte, changed bool) {
	if bytes.IndexByte(val, '?') < 0 || bytes.IndexByte(val, '=') < 0 {
		return append(dst, val...), false
	}
	if bytes.IndexByte(val, '\\') < 0 { // no escapes: work on the JSON text itself
		red, changed := s.redactQuery(val[1 : len(val)-1])
		return append(append(append(dst, '"'), red...), '"'), changed
	}
	var str string
	if json.Unmarshal(val, &str) != nil {
		return append(dst, val...), false
	}
	red, changed := s.redactQuery([]byte(str))
	if !changed {
		return append(dst, val...), false
	}
	enc, _ := json.Marshal(string(red)) // a string always encodes
	return append(dst, enc...), true
}

// redactQuery returns u with the values of secret query parameters replaced by [Redacted], or u
// itself when there are none. Parameters are what follows the first '?', up to any '#'.
func (s *Sanitizer) redactQuery(u []byte) (out []byte, changed bool) {
	q := bytes.IndexByte(u, '?')
	if q < 0 {
		return u, false
	}
	end := len(u)
	if h := bytes.IndexByte(u[q:], '#'); h >= 0 {
		end = q + h
	}
	out = append(make([]byte, 0, len(u)), u[:q+1]...)
	for i, param := range bytes.Split(u[q+1:end], []byte("&")) {
		if i > 0 {
			out = append(out, '&')
		}
		name, value, ok := bytes.Cut(param, []byte("="))
		if ok && string(value) != Redacted && slices.Contains(s.params, string(name)) {
			out = append(append(append(out, name...), '='), Redacted...)
			changed = true
			continue
		}
		out = append(out, param...)
	}
	if !changed {
		return u, false
	}
	return append(out, u[end:]...), true
}
