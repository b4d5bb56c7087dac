package hub

import (
	"context"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// Readers that look back rather than subscribe (the MCP tools) ask Run for the replay ring and
// the entity states through queries, as the statistics tool asks for the clients.

// Recent returns the events of the replay ring, oldest first: the newest events the hub
// dispatched, up to Config.ReplaySize and Config.ReplayBytes (none when replay is off). Run only copies the ring, so the caller
// may filter at leisure; the frames are shared and read-only. Nil when the hub is not running.
func (h *Hub) Recent(ctx context.Context) []*format.Frame {
	var out []*format.Frame
	h.query(ctx, func() {
		for _, fr := range h.ring.held() {
			if fr.Event != nil { // not a mark
				out = append(out, fr)
			}
		}
	})
	return out
}

// State returns the current state of the entity entityID, as Home Assistant's states and the
// events since left it, and false for an entity the hub does not know. Its JSON and Labels are
// shared and read-only.
func (h *Hub) State(ctx context.Context, entityID string) (hass.State, bool) {
	var (
		st hass.State
		ok bool
	)
	h.query(ctx, func() { st, ok = h.states[entityID] })
	return st, ok
}
