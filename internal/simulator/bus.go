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
// id of the command that made it. A subscribe_entities subscription (entities true) listens to
// state_changed and forwards HA's compressed diffs instead, of the entities in ids (nil = all).
type subscription struct {
	c         *conn
	id        int64
	eventType string
	entities  bool
	ids       map[string]bool
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

// event is one event on the bus. change is set on state_changed events, for subscribe_entities.
type event struct {
	eventType string
	data      any // a JSON-like value (map[string]any, object, …)
	ctx       Context
	at        time.Time
	origin    string // LOCAL, or REMOTE for events a client fired
	change    *stateChange
}

// stateChange is what a state_changed event is about: old is nil on creation, new on removal.
type stateChange struct {
	entityID string
	old, new *State
}

// fire puts a LOCAL event on the bus.
func (h *home) fire(eventType string, data any, ctx Context, at time.Time) {
	h.publish(&event{eventType: eventType, data: data, ctx: ctx, at: at, origin: "LOCAL"})
}

// publish hands an event to its subscriptions in the order they were made: each event and each
// compressed diff is encoded once, then closed with each subscription's id. A pending
// SendOversized pads the messages of the first event that reaches anyone.
func (h *home) publish(ev *event) {
	typed := h.bus.byType[ev.eventType]
	all := h.bus.all
	if excludedFromMatchAll(ev.eventType) {
		all = nil
	}
	var full, diff []byte
	sent := false
	for _, subs := range [][]*subscription{typed, all} {
		for _, s := range subs {
			var msg []byte
			switch {
			case !s.entities:
				if full == nil {
					full = appendJSON([]byte(`{"type":"event","event":`), object{
						{"event_type", ev.eventType}, {"data", ev.data}, {"origin", ev.origin},
						{"time_fired", isoformat(ev.at)}, {"context", ev.ctx},
					})
				}
				msg = withID(full, s.id)
			case ev.change != nil && (s.ids == nil || s.ids[ev.change.entityID]):
				if diff == nil {
					diff = appendJSON([]byte(`{"type":"event","event":`), ev.change.compressed())
				}
				msg = withID(diff, s.id)
			default:
				continue
			}
			if h.oversize > 0 {
				msg = pad(msg, h.oversize)
			}
			h.send(s.c, msg)
			sent = true
		}
	}
	if sent {
		h.oversize = 0
	}
}

// pad returns msg grown to n bytes with spaces before its closing brace: the same JSON, bigger.
func pad(msg []byte, n int) []byte {
	if len(msg) >= n {
		return msg
	}
	b := make([]byte, 0, n)
	b = append(b, msg[:len(msg)-1]...)
	for len(b) < n-1 {
		b = append(b, ' ')
	}
	return append(b, '}')
}

// withID closes an encoded event message with its subscription id, which HA writes last.
func withID(ev []byte, id int64) []byte {
	b := make([]byte, 0, len(ev)+24)
	b = append(b, ev...)
	b = append(b, `,"id":`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, '}')
}

// send queues one message for c; none once c is dropped or cut off. Messages queued during one
// request of Run's goroutine reach c's writer together at the end of it (flush), as HA's do
// within one turn of its event loop.
func (h *home) send(c *conn, msg []byte) {
	h.queue(c, message{b: msg})
}

func (h *home) queue(c *conn, m message) {
	if c.dropped {
		return
	}
	if len(c.turn) == 0 {
		h.flushing = append(h.flushing, c)
	}
	c.turn = append(c.turn, m)
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
	h.cutOff(c)
	delete(h.conns, c)
}

// cutOff stops everything for c: its subscriptions end, nothing queued for it is sent, and it
// gets no more messages (its frames still being read are ignored). The connection itself is
// ended by whoever cut it off.
func (h *home) cutOff(c *conn) {
	c.dropped = true
	for _, s := range c.subs {
		h.bus.remove(s)
	}
	clear(c.subs)
	c.turn = nil
	h.flushing = slices.DeleteFunc(h.flushing, func(x *conn) bool { return x == c })
}
