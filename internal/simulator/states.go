package simulator

import (
	"encoding/json"
	"maps"
	"time"
)

// State is one entity's state as Home Assistant reports it (HA-PROTOCOL.md §7). It marshals to
// HA's JSON with all seven keys in HA's order; attribute keys come out sorted. The Simulator never
// modifies a State once written; those returned by [Simulator.States] are deep copies.
type State struct {
	EntityID     string         // "light.kitchen"
	State        string         // always a string: "on", "21.4", "unavailable"
	Attributes   map[string]any // JSON values: nil, bool, string, int, float64, []any, map[string]any
	LastChanged  time.Time      // when State last changed
	LastReported time.Time      // when the state was last written, even unchanged
	LastUpdated  time.Time      // when State or Attributes last changed
	Context      Context        // the context of the write that last changed it
}

// Context is Home Assistant's context of an event or a state write: a ULID, the ULID of the context
// that caused it, and the user behind it. Empty ParentID and UserID marshal as null.
type Context struct {
	ID       string // 26-character ULID
	ParentID string // "" or the causing context's ID
	UserID   string // "" or a 32-hex user id
}

// MarshalJSON writes s as Home Assistant does.
func (s State) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

// MarshalJSON writes c as {"id","parent_id","user_id"}.
func (c Context) MarshalJSON() ([]byte, error) { return c.appendJSON(nil), nil }

func (s *State) appendJSON(b []byte) []byte { return s.appendWire(b, newestShape()) }

// appendWire appends s as a core of shape sh writes it: without last_reported before 2024.4.
func (s *State) appendWire(b []byte, sh shape) []byte {
	attrs := s.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	o := object{
		{"entity_id", s.EntityID},
		{"state", s.State},
		{"attributes", attrs},
		{"last_changed", isoformat(s.LastChanged)},
	}
	if sh.lastReported {
		o = append(o, member{"last_reported", isoformat(s.LastReported)})
	}
	o = append(o, member{"last_updated", isoformat(s.LastUpdated)}, member{"context", s.Context})
	return appendJSON(b, o)
}

// wireState is a state inside an event, to be written as a core of shape sh writes it.
type wireState struct {
	s  *State
	sh shape
}

// wire returns st as h's version writes it inside an event: nil (JSON null) for no state.
func (h *home) wire(st *State) any {
	if st == nil {
		return nil
	}
	return wireState{st, h.shape}
}

func (c Context) appendJSON(b []byte) []byte {
	return appendJSON(b, object{{"id", c.ID}, {"parent_id", nullable(c.ParentID)}, {"user_id", nullable(c.UserID)}})
}

// nullable is s, or nil (JSON null) when s is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// clone returns a deep copy of s, so that the copy shares no map or slice with s.
func (s State) clone() State {
	s.Attributes = cloneValue(s.Attributes).(map[string]any)
	return s
}

// cloneValue deep-copies the maps and slices of a JSON-like value.
func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if v == nil {
			return map[string]any{}
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = cloneValue(e)
		}
		return s
	case []string:
		return append([]string(nil), v...)
	case []int:
		return append([]int(nil), v...)
	case []float64:
		return append([]float64(nil), v...)
	}
	return v
}

// equalValues reports whether two JSON-like values are equal as Python compares them: numbers by
// value whatever their Go type (1 == 1.0), maps and slices element by element.
func equalValues(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		return ok && maps.EqualFunc(a, b, equalValues)
	case nil, bool, string:
		return a == b
	}
	as, aok := asSlice(a)
	bs, bok := asSlice(b)
	if !aok || !bok || len(as) != len(bs) {
		return false
	}
	for i := range as {
		if !equalValues(as[i], bs[i]) {
			return false
		}
	}
	return true
}

// number returns v as a float64 when v is a JSON number (bools are not numbers here).
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

func asSlice(v any) ([]any, bool) {
	switch v := v.(type) {
	case []any:
		return v, true
	case []string:
		return toAny(v), true
	case []int:
		return toAny(v), true
	case []float64:
		return toAny(v), true
	}
	return nil, false
}

func toAny[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}
