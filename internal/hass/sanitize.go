package hass

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Redacted replaces the value of a secret query parameter, as in
// "/api/camera_proxy/camera.driveway?token=REDACTED".
const Redacted = "REDACTED"

// Sanitizer removes secrets from Home Assistant events and states before anything else sees
// them (SPEC.md §5.3). It is applied once per event at ingest, so no subscriber, replay buffer or
// store ever holds a secret. A Sanitizer is immutable and safe for concurrent use.
//
// What it removes:
//   - members whose name is in the redact list, from every state's attributes, from the top
//     level of every event's data and from a call_service event's service_data (where a
//     notify or alarm call could carry an api_key or password);
//   - the value of every query parameter named token, or named in the redact list, inside
//     URL-like string values of those same objects: entity_picture
//     "/api/camera_proxy/camera.driveway?token=9c4e…" becomes "…?token=REDACTED".
//
// It does not descend further (strings in arrays, objects nested in attributes), and it compares
// member names as written: Home Assistant never escapes ASCII in names.
type Sanitizer struct {
	names   []string // member names removed
	params  []string // query parameters whose values are replaced
	needles []needle // a document containing none of these has nothing to sanitise
}

// NewSanitizer returns a Sanitizer that removes members named in redact (cmd/hasse passes
// MCP_SSE_REDACT_ATTRIBUTES, by default access_token,token,password,api_key) and redacts the
// query parameters token and those in redact. Empty names are ignored.
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
	// Every name is checked as a plain substring before any parsing. A name containing another
	// needs no check of its own: "access_token" cannot appear where "token" does not.
	for _, p := range s.params {
		covered := slices.ContainsFunc(s.params, func(q string) bool {
			return q != p && strings.Contains(p, q)
		})
		if !covered {
			s.needles = append(s.needles, newNeedle(p))
		}
	}
	return s
}

// suspect reports whether b may hold something to sanitise. It is the fast path: a handful of
// substring searches, and false for nearly every event.
func (s *Sanitizer) suspect(b []byte) bool {
	for _, n := range s.needles {
		if n.in(b) {
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
const rarity = "QJZXKVWYBFGPMHUDCLSNRIOTEAqjzxkvwbgfpymhucdlsnriotea_0123456789"

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
	c := n.s[n.anchor]
	for i := n.anchor; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], c)
		if j < 0 {
			return false
		}
		i += j
		if start := i - n.anchor; start+len(n.s) <= len(b) && bytes.Equal(b[start:start+len(n.s)], n.s) {
			return true
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
	out, changed = s.object(make([]byte, 0, len(b)), b, levelState)
	if !changed {
		return b, false
	}
	return out, true
}

// data returns the event data b of an event of type typ with its secrets removed, and whether
// anything was; b itself when nothing was.
func (s *Sanitizer) data(b []byte, typ string) (out []byte, changed bool) {
	lv := levelData
	switch typ {
	case TypeStateChanged:
		lv = levelStateChanged
	case TypeCallService:
		lv = levelCallService
	}
	out, changed = s.object(make([]byte, 0, len(b)), b, lv)
	if !changed {
		return b, false
	}
	return out, true
}

// level says which members of an object the Sanitizer descends into.
type level uint8

const (
	levelFlat         level = iota // attributes, service_data: nothing nested
	levelData                      // an event's data
	levelStateChanged              // state_changed data: old_state and new_state are states
	levelCallService               // call_service data: service_data is flat
	levelState                     // a state: attributes is flat
)

// nested returns the level of the object member key of an object at level lv, or false when the
// Sanitizer does not descend into it.
func (lv level) nested(key []byte) (level, bool) {
	switch {
	case lv == levelStateChanged && (string(key) == "old_state" || string(key) == "new_state"):
		return levelState, true
	case lv == levelCallService && string(key) == "service_data",
		lv == levelState && string(key) == "attributes":
		return levelFlat, true
	}
	return 0, false
}

// object appends the sanitised copy of object obj to dst.
func (s *Sanitizer) object(dst, obj []byte, lv level) (out []byte, changed bool) {
	dst = append(dst, '{')
	first := true
	for m := walk(obj); ; {
		key, val, ok := m.next()
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
		switch next, descend := lv.nested(key); {
		case descend && val[0] == '{':
			dst, c = s.object(dst, val, next)
		case val[0] == '"':
			dst, c = s.appendString(dst, val)
		default:
			dst = append(dst, val...)
		}
		changed = changed || c
	}
	return append(dst, '}'), changed
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
