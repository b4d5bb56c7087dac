package hub

import "hasse/internal/hass"

// snapshot returns, for c, the current state of every entity its filter matches. It runs in the
// step that registers c, so the live events queued after it are all newer; the states are
// sorted and encoded by the client's writer (writer.AppendSnapshot), off the hub's goroutine. The
// result is never nil: a snapshot of nothing still ends with snapshot_complete.
func (h *Hub) snapshot(c *Client) []hass.State {
	states := make([]hass.State, 0, 16)
	for _, st := range h.states {
		probe := hass.Event{Type: hass.TypeStateChanged, EntityID: st.EntityID, Domain: st.Domain,
			Entities: []string{st.EntityID}, State: st.State, StateChanged: true, DeviceClass: st.DeviceClass,
			Area: st.Area, AreaName: st.AreaName, Labels: st.Labels}
		if c.wants(&probe) {
			states = append(states, st)
		}
	}
	return states
}
