package hub

import (
	"context"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// Events may come to the hub with ids of their own, given by a history elsewhere (cluster mode,
// SPEC.md §7: the shared stream's), so that a client may resume on any instance. The hub treats
// such an id as an opaque string: it keeps the event in its ring under the hub's own sequence,
// finds it by exact match, and asks [History] about an id it does not hold. The feed is the
// same door as the Home Assistant link's ([Hub.Publish], [Hub.Connected], [Hub.Disconnected]),
// with two more calls: [Hub.Gap] for a point of the history where events may have been lost,
// and [Hub.Reset] when the history itself was lost.

// History places a Last-Event-ID the hub does not hold, for a resume; the cluster package's Node
// is one. The hub asks it off its own goroutine.
type History interface {
	// Locate says how to resume after lastID, given that the hub holds every entry of the history
	// after the one of id floor.
	Locate(ctx context.Context, lastID, floor string) Location
}

// Location is what a History says of a Last-Event-ID.
type Location struct {
	// Gap is why the resume cannot be served; "" otherwise.
	Gap format.Gap
	// After is the id of the entry to resume after instead of lastID: the newest the history holds
	// at or before it, newer than floor. The hub waits a while for it when it has not had it yet.
	After string
	// Older are the entries after lastID up to and including floor, oldest first, when lastID is
	// older than what the hub holds.
	Older []Entry
}

// Entry is an entry of a History: an event whose ID is set, or a mark with a gap reason.
type Entry struct {
	ID    string
	Event *hass.Event // nil for a mark
	Gap   format.Gap  // a mark's gap reason
}

// Gap tells the hub that at the entry of id clients may have missed events, for reason: a
// resume across it says so. [format.GapHAReconnected]: the link to Home Assistant is back, as Connected
// with no states; any other reason reaches every client now, once per outage. It waits like
// Publish.
func (h *Hub) Gap(id string, reason format.Gap) {
	h.ingest(ingest{kind: gapMark, id: id, reason: reason})
}

// Reset tells the hub that the history its ids come from starts over after the entry of id at
// (its store lost its data, or entries this instance had not read yet): it forgets every id it
// was handed, and every client gets a gap of reason ("" for none: the first call) once per
// outage. Every entity is in the state states gives. It waits like Publish.
func (h *Hub) Reset(at string, reason format.Gap, states []hass.State) {
	h.ingest(ingest{kind: reset, id: at, reason: reason, states: states})
}

func (h *Hub) mark(id string, reason format.Gap) {
	if reason == format.GapHAReconnected {
		h.linkUp(nil)
	} else {
		h.historyGap(reason)
		h.link = linkState{haveStates: true}
	}
	h.seq++
	h.ring.putMark(id, reason, h.seq)
	h.answerWaiting(id)
}

func (h *Hub) reset(at string, reason format.Gap, states []hass.State) {
	if reason == "" {
		h.quiet = h.dispatched.Load() // nothing was sent that the first leader's gap could be about
	} else {
		h.historyGap(reason)
	}
	h.ring.forget(at, h.seq)
	clear(h.states)
	for _, st := range states {
		h.states[st.EntityID] = st
	}
	h.link = linkState{haveStates: true}
	h.askAgain() // the ids parked joins wait for are of the lost history now
	if h.started != nil {
		select {
		case <-h.started: // not the first Reset
		default:
			close(h.started) // only Run closes it
		}
	}
}

// historyGap tells every client that events may have been lost, unless a gap went out already
// and no event since: one outage, one gap.
func (h *Hub) historyGap(reason format.Gap) {
	if h.quiet == h.dispatched.Load() {
		return
	}
	now := time.Now()
	h.broadcast(format.NewControl(
		format.AppendGap(nil, format.Envelope, reason, h.lastID, now),
		format.AppendGap(nil, format.Named, reason, h.lastID, now)))
	h.quiet = h.dispatched.Load()
}
