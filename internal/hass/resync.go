package hass

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// SameState reports whether a and b, two states of one entity, are the same state object:
// whether a subscriber who knows a knows b. They agree on state, attributes, last_changed and
// last_updated; last_reported does not count (it moves on every write that changes nothing, with
// no state_changed event). A state that went away and came back while the link was down has the
// same state and attributes but a later last_changed: not the same.
func SameState(a, b State) bool {
	if a.State != b.State {
		return false
	}
	var x, y struct {
		Attributes  json.RawMessage `json:"attributes"`
		LastChanged string          `json:"last_changed"`
		LastUpdated string          `json:"last_updated"`
	}
	if json.Unmarshal(a.JSON, &x) != nil || json.Unmarshal(b.JSON, &y) != nil {
		return bytes.Equal(a.JSON, b.JSON)
	}
	return bytes.Equal(x.Attributes, y.Attributes) && x.LastChanged == y.LastChanged && x.LastUpdated == y.LastUpdated
}

// Resync makes the state_changed event that takes a subscriber from one state to another (SPEC.md §2),
// marked with origin resync. A zero from means the entity appeared, a zero to that it
// disappeared; they must not both be zero.
func Resync(from, to State, at time.Time) *Event {
	st := to
	if st.EntityID == "" {
		st = from
	}
	ev := &Event{
		Type:         TypeStateChanged,
		Origin:       OriginResync,
		TimeFired:    at.UTC().Format("2006-01-02T15:04:05.000000+00:00"),
		Context:      resyncContext(),
		EntityID:     st.EntityID,
		Domain:       st.Domain,
		Entities:     []string{st.EntityID},
		OldState:     from.JSON,
		NewState:     to.JSON,
		State:        to.State,
		StateChanged: from.EntityID == "" || to.EntityID == "" || from.State != to.State,
		DeviceClass:  st.DeviceClass,
		Area:         st.Area,
		AreaName:     st.AreaName,
		Labels:       st.Labels,
		Received:     at,
	}
	data := append([]byte(`{"entity_id":`), quote(st.EntityID)...)
	data = append(append(data, `,"old_state":`...), orNull(from.JSON)...)
	data = append(append(data, `,"new_state":`...), orNull(to.JSON)...)
	ev.Data = append(data, '}')
	return ev
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

func orNull(b json.RawMessage) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// resyncContext returns a fresh context object, its id a random 26-character ULID-like string.
func resyncContext() json.RawMessage {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [26]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = crockford[b[i]&31]
	}
	return json.RawMessage(`{"id":"` + string(b[:]) + `","parent_id":null,"user_id":null}`)
}

// Diff returns the events that take a subscriber who knows the states known to the states truth
// (SPEC.md §2): a Resync event for every entity that changed, appeared or disappeared, in entity
// id order, each fired at at.
func Diff(known map[string]State, truth []State, at time.Time) []*Event {
	var events []*Event
	seen := make(map[string]bool, len(truth))
	for _, st := range truth {
		seen[st.EntityID] = true
		if k, ok := known[st.EntityID]; !ok {
			events = append(events, Resync(State{}, st, at))
		} else if !SameState(k, st) {
			events = append(events, Resync(k, st, at))
		}
	}
	for id, k := range known {
		if !seen[id] {
			events = append(events, Resync(k, State{}, at))
		}
	}
	slices.SortFunc(events, func(a, b *Event) int { return strings.Compare(a.EntityID, b.EntityID) })
	return events
}
