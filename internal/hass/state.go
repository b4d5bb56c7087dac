package hass

import (
	"encoding/json"
	"errors"
	"strings"
)

// State is one entity's current state as Home Assistant reports it (HA-PROTOCOL.md §7), with
// what the filters of SPEC.md §4.1 look at.
type State struct {
	EntityID    string
	Domain      string
	State       string
	DeviceClass string
	// Area, AreaName and Labels place the entity, from the registries, as for events.
	Area, AreaName string
	Labels         []string
	// JSON is HA's state object, compact and sanitised: what a snapshot (SPEC.md §4.6) sends.
	JSON json.RawMessage
}

// ParseState reads a state object of get_states; b must be compact and sanitised already.
func ParseState(b []byte) (State, error) {
	var st struct {
		EntityID   string `json:"entity_id"`
		State      string `json:"state"`
		Attributes struct {
			DeviceClass any `json:"device_class"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, err
	}
	domain, _, ok := strings.Cut(st.EntityID, ".")
	if !ok || domain == "" {
		return State{}, errors.New("state without an entity_id")
	}
	dc, _ := st.Attributes.DeviceClass.(string)
	return State{EntityID: st.EntityID, Domain: domain, State: st.State, DeviceClass: dc, JSON: b}, nil
}

// StateOf returns the State a state_changed event leaves its entity in, and false for any other
// event or a removal.
func StateOf(ev *Event) (State, bool) {
	if ev.Type != TypeStateChanged || ev.NewState == nil || ev.EntityID == "" {
		return State{}, false
	}
	return State{EntityID: ev.EntityID, Domain: ev.Domain, State: ev.State, DeviceClass: ev.DeviceClass,
		Area: ev.Area, AreaName: ev.AreaName, Labels: ev.Labels, JSON: ev.NewState}, true
}
