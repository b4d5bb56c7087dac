package hub

import (
	"context"
	"log/slog"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// The Home Assistant link reports to the hub through [Hub.Connected] and [Hub.Disconnected], in
// order with its events. While a link that was up is down, every client (and every client that
// joins) has an error ha_disconnected; when it is back, every client gets one gap
// (ha_reconnected, SPEC.md §4.4) and then a state_changed, marked origin resync, for every
// entity that changed, appeared or disappeared meanwhile (SPEC.md §2). The gap goes before the
// new connection's first event; the resync comes with its states, which come later when Home
// Assistant was still starting (halink.Sink): events that flowed meanwhile have moved the known
// states on, so the resync is against what clients were last told.

// Connected tells the hub that the link to Home Assistant is up, with every entity's state (nil
// when Home Assistant gave none). It waits like Publish.
func (h *Hub) Connected(states []hass.State) { h.ingest(ingest{kind: linkUp, states: states}) }

// Disconnected tells the hub that the link to Home Assistant is down. It waits like Publish.
func (h *Hub) Disconnected() { h.ingest(ingest{kind: linkDown}) }

// linkState is what Run knows of the link.
type linkState struct {
	down       bool          // a link that was up is down, and its states have not come back
	since      string        // id of the last event before it went down; "" when none
	downFrame  *format.Frame // the ha_disconnected error, for clients that join while down; nil once events flow again
	gapSent    bool          // the ha_reconnected gap went out (events came before the states)
	haveStates bool          // h.states holds a get_states, so a reconnect can be diffed
}

func (h *Hub) linkDown() {
	if h.link.down && !h.link.gapSent {
		return // the same outage: nothing came from Home Assistant since it began
	}
	// A link that was up, or one whose events flowed before its states came (Home Assistant
	// starting) and that went down again: clients may miss events from here on.
	h.link.down, h.link.gapSent = true, false
	h.link.since = h.lastID
	now := time.Now()
	const code, msg = format.ErrorHADisconnected, "the connection to Home Assistant is lost; reconnecting"
	h.link.downFrame = format.NewControl(
		format.AppendError(nil, format.Envelope, code, msg, now),
		format.AppendError(nil, format.Named, code, msg, now))
	h.broadcast(h.link.downFrame)
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "home assistant link down", slog.Int("clients", len(h.clients)))
}

// reconnected tells every client, once per outage, that events flow again and some may have
// been missed: before the first event of the new connection, or with its states if they come
// first.
func (h *Hub) reconnected(now time.Time) {
	if !h.link.down || h.link.gapSent {
		return
	}
	h.broadcast(format.NewControl(
		format.AppendGap(nil, format.Envelope, format.GapHAReconnected, h.link.since, now),
		format.AppendGap(nil, format.Named, format.GapHAReconnected, h.link.since, now)))
	h.link.gapSent, h.link.downFrame = true, nil
}

func (h *Hub) linkUp(states []hass.State) {
	if h.link.down {
		now := time.Now()
		h.reconnected(now)
		if states != nil && h.link.haveStates {
			h.resync(states, now)
		}
		h.link = linkState{haveStates: h.link.haveStates}
	}
	if states != nil {
		clear(h.states)
		for _, st := range states {
			h.states[st.EntityID] = st
		}
		h.link.haveStates = true
	}
}

// resync dispatches, in entity id order, an event for every entity whose state differs between
// what the hub knows and states.
func (h *Hub) resync(states []hass.State, now time.Time) {
	events := hass.Diff(h.states, states, now)
	for _, ev := range events {
		h.dispatch(ev)
	}
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "home assistant link back", slog.Int("resynced", len(events)))
}

// broadcast queues a control frame for every client.
func (h *Hub) broadcast(fr *format.Frame) {
	for c := range h.clients {
		h.control(c, fr)
	}
}

// control queues a control frame for c, dropping c when its queue is full.
func (h *Hub) control(c *Client, fr *format.Frame) {
	if !c.q.push(fr, true) {
		h.drop(c, fr)
	}
}
