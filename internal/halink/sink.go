package halink

import "hasse/internal/hass"

// Sink receives what the client reads from Home Assistant, in the order it was read, from the
// client's read loop: its methods must not block for long, and must return once Run's ctx ends.
type Sink interface {
	// Publish takes an event; the sink owns it from then on.
	Publish(ev *hass.Event)
	// Connected gives a new connection's states: every entity's state, read right after
	// subscribing or, when Home Assistant was still starting, once it has started (events
	// published before it are older, events after it newer), or nil when Home Assistant would
	// not give them. The connection's events may come before it.
	Connected(states []hass.State)
	// Disconnected marks the end of a connection that was set up: one whose events or states
	// may have been handed over.
	Disconnected()
}
