package simulator

import (
	"slices"
	"strconv"
	"time"
)

// matchAll is the event type of a subscription to every event.
const matchAll = "*"

// excludedFromMatchAll reports whether a "*" subscription never receives events of eventType
// (HA-PROTOCOL.md §6).
func excludedFromMatchAll(eventType string) bool {
	return eventType == "state_reported" || eventType == "homeassistant_close"
}

// subscription forwards the bus's events of one type (or all) to one connection, tagged with the
// id of the subscribe_events command that made it.
type subscription struct {
	c         *conn
	id        int64
	eventType string
}

// bus holds the subscriptions, in the order they were made. It belongs to Run's goroutine.
type bus struct {
	byType map[string][]*subscription
	all    []*subscription
}

func (b *bus) add(s *subscription) {
	if s.eventType == matchAll {
		b.all = append(b.all, s)
		return
	}
	if b.byType == nil {
		b.byType = make(map[string][]*subscription)
	}
	b.byType[s.eventType] = append(b.byType[s.eventType], s)
}

func (b *bus) remove(s *subscription) {
	drop := func(x *subscription) bool { return x == s }
	if s.eventType == matchAll {
		b.all = slices.DeleteFunc(b.all, drop)
		return
	}
	b.byType[s.eventType] = slices.DeleteFunc(b.byType[s.eventType], drop)
	if len(b.byType[s.eventType]) == 0 {
		delete(b.byType, s.eventType)
	}
}

// fire puts an event on the bus: it is encoded once and queued, with each subscription's id, for
// every subscriber. data is a JSON-like value (map[string]any, object, …).
func (h *home) fire(eventType string, data any, ctx Context, at time.Time) {
	typed := h.bus.byType[eventType]
	all := h.bus.all
	if excludedFromMatchAll(eventType) {
		all = nil
	}
	if len(typed) == 0 && len(all) == 0 {
		return
	}
	ev := appendJSON([]byte(`{"type":"event","event":`), object{
		{"event_type", eventType},
		{"data", data},
		{"origin", "LOCAL"},
		{"time_fired", isoformat(at)},
		{"context", ctx},
	})
	for _, subs := range [][]*subscription{typed, all} {
		for _, s := range subs {
			h.send(s.c, withID(ev, s.id))
		}
	}
}

// withID closes an encoded event message with its subscription id, which HA writes last.
func withID(ev []byte, id int64) []byte {
	b := make([]byte, 0, len(ev)+24)
	b = append(b, ev...)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, '}')
}

// send queues one message for c. Messages queued during one request of Run's goroutine reach c's
// writer together at the end of it (flush), as HA's do within one turn of its event loop.
func (h *home) send(c *conn, msg []byte) {
	if len(c.turn) == 0 {
		h.flushing = append(h.flushing, c)
	}
	c.turn = append(c.turn, msg)
}

// flush hands each connection the messages queued for it during this turn.
func (h *home) flush() {
	for _, c := range h.flushing {
		c.flush()
	}
	clear(h.flushing)
	h.flushing = h.flushing[:0]
}

// join registers a new connection so that Run can end it; Run's shutdown waits for it to leave.
func (h *home) join(c *conn) {
	h.sim.conns.Add(1)
	h.conns[c] = struct{}{}
}

// leave forgets a connection and its subscriptions.
func (h *home) leave(c *conn) {
	for _, s := range c.subs {
		h.bus.remove(s)
	}
	clear(c.subs)
	c.turn = nil
	h.flushing = slices.DeleteFunc(h.flushing, func(x *conn) bool { return x == c })
	delete(h.conns, c)
}
