package hub

import (
	"container/heap"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// A throttled client gets at most one state_changed per entity per window (SPEC.md §4.1
// throttle): the first at once, the latest of the rest when the window ends, which opens the next
// window. Other event types pass untouched. All of it is owned by Hub.Run: each client keeps the
// entities in a window, and one timer serves the earliest window end of all clients.

// window is one entity's open throttle window for one client.
type window struct {
	pending *format.Frame // the latest state held back; nil when none
	seq     uint64        // its sequence
}

// windowEnd is when a client's window for an entity closes.
type windowEnd struct {
	at     time.Time
	c      *Client
	entity string
}

type windowEnds []windowEnd

func (w windowEnds) Len() int           { return len(w) }
func (w windowEnds) Less(i, j int) bool { return w[i].at.Before(w[j].at) }
func (w windowEnds) Swap(i, j int)      { w[i], w[j] = w[j], w[i] }
func (w *windowEnds) Push(x any)        { *w = append(*w, x.(windowEnd)) }
func (w *windowEnds) Pop() any {
	old := *w
	x := old[len(old)-1]
	old[len(old)-1] = windowEnd{}
	*w = old[:len(old)-1]
	return x
}

// holdBack reports whether the throttle of c keeps fr (of sequence seq) for later; if not, it
// opens a window for fr's entity and the caller delivers fr now.
func (h *Hub) holdBack(c *Client, fr *format.Frame, seq uint64) bool {
	ev := fr.Event
	if c.Throttle <= 0 || ev.Type != hass.TypeStateChanged || ev.EntityID == "" {
		return false
	}
	if w, open := c.windows[ev.EntityID]; open {
		if w.pending == nil {
			c.held++
		}
		w.pending, w.seq = fr, seq
		return true
	}
	if c.windows == nil {
		c.windows = make(map[string]*window)
	}
	c.windows[ev.EntityID] = &window{}
	h.openWindow(windowEnd{at: time.Now().Add(c.Throttle), c: c, entity: ev.EntityID})
	return false
}

func (h *Hub) openWindow(end windowEnd) {
	heap.Push(&h.windowEnds, end)
	if h.windowEnds[0] == end {
		h.armWindowTimer()
	}
}

// armWindowTimer sets the timer to the earliest window end.
func (h *Hub) armWindowTimer() {
	if len(h.windowEnds) == 0 {
		return
	}
	d := time.Until(h.windowEnds[0].at)
	if h.windowTimer == nil {
		h.windowTimer = time.NewTimer(d)
		return
	}
	h.windowTimer.Reset(d)
}

// windowTimerC is the timer's channel, nil (never ready) when no window is open.
func (h *Hub) windowTimerC() <-chan time.Time {
	if h.windowTimer == nil || len(h.windowEnds) == 0 {
		return nil
	}
	return h.windowTimer.C
}

// closeWindows ends every window due by now: a held-back state goes out and opens the next
// window; a window with nothing held back just closes.
func (h *Hub) closeWindows(now time.Time) {
	for len(h.windowEnds) > 0 && !h.windowEnds[0].at.After(now) {
		end := heap.Pop(&h.windowEnds).(windowEnd)
		c := end.c
		if _, open := h.clients[c]; !open {
			continue
		}
		w := c.windows[end.entity]
		if w.pending == nil {
			delete(c.windows, end.entity)
			continue
		}
		fr, seq := w.pending, w.seq
		w.pending = nil
		c.held--
		h.deliver(c, fr, seq)
		if _, open := h.clients[c]; open {
			end.at = end.at.Add(c.Throttle)
			heap.Push(&h.windowEnds, end)
		}
	}
	h.armWindowTimer()
}
