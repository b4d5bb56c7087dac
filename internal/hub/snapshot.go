package hub

import (
	"slices"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// snapshot encodes, for c, the current state of every entity its filter matches (as a
// state_changed of that entity would), in entity id order, then snapshot_complete. It runs in the
// step that registers c, so the live events queued after it are all newer.
func (h *Hub) snapshot(c *Client) []byte {
	ids := make([]string, 0, len(h.states))
	for id := range h.states {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var buf []byte
	n := 0
	for _, id := range ids {
		st := h.states[id]
		probe := hass.Event{Type: hass.TypeStateChanged, EntityID: st.EntityID, Domain: st.Domain,
			Entities: []string{st.EntityID}, State: st.State, StateChanged: true, DeviceClass: st.DeviceClass,
			Area: st.Area, AreaName: st.AreaName, Labels: st.Labels}
		if !c.wants(&probe) {
			continue
		}
		buf = format.AppendState(buf, c.Format, st.EntityID, st.Domain, st.State, st.JSON)
		n++
	}
	return format.AppendSnapshotComplete(buf, c.Format, n)
}
