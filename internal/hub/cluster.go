package hub

import (
	"slices"
	"sort"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// In cluster mode (SPEC.md §7) every instance reads one shared stream, and its events carry the
// stream's ids ("<epoch>-<ms>-<seq>") rather than numbers the hub gives them, so that a client
// may resume on any instance. The cluster package feeds the hub with [Hub.Follow], at start and
// whenever the stream's history was lost, and with [Hub.Append] for every entry, in order.
// Events that reach the hub through Publish meanwhile (the leader's own, while Redis cannot be
// written) are numbered by the hub as in single-instance mode, under its own epoch.
//
// The replay ring keeps every event by its local sequence, as ever; clusterState maps the
// stream's ids onto those sequences, and knows from which id on the ring holds every event
// (the floor). Resumes from before the floor are served from the stream itself ([History]).

// Mark is an entry of the stream that is news about the ingest rather than an event.
type Mark uint8

// Marks of the stream.
const (
	MarkNone     Mark = iota // an event
	MarkLinkDown             // the leader lost Home Assistant: clients get an error ha_disconnected
	MarkLinkUp               // the leader's link is back: a gap ha_reconnected; resync events follow
	MarkFailover             // an instance took the ingest over: a gap leader_failover; resync events follow
)

// Gap reasons of cluster mode (SPEC.md §4.4).
const (
	GapLeaderFailover = "leader_failover"
	GapHAReconnected  = "ha_reconnected"
)

// Entry is one entry of the cluster's stream.
type Entry struct {
	ID    StreamID
	Event *hass.Event // an event whose ID is "<epoch>-<ID>" already; nil for a mark
	Mark  Mark
}

// gapReason returns the gap a client resuming across the mark gets; "" when none.
func (m Mark) gapReason() string {
	switch m {
	case MarkFailover:
		return GapLeaderFailover
	case MarkLinkUp:
		return GapHAReconnected
	}
	return ""
}

// Follow tells the hub to follow the stream of epoch from at, the id of the newest entry
// before those [Hub.Append] will bring (zero for an empty stream), where every entity is in the
// state states gives. The first call starts cluster mode. A later call with another epoch, or
// with the same epoch at another place, means that history was lost: every client gets a gap
// (epoch_changed, or replay_window_exceeded). It waits like Publish.
func (h *Hub) Follow(epoch string, at StreamID, states []hass.State) {
	h.ingest(ingest{kind: follow, epoch: epoch, id: at, states: states})
}

// Append hands the hub the next entry of the stream it follows; ids must grow. The hub owns
// e.Event from then on. It waits like Publish.
func (h *Hub) Append(e Entry) {
	h.ingest(ingest{kind: entry, ev: e.Event, id: e.ID, mark: e.Mark})
}

// clusterState is what Run knows of the stream; zero in single-instance mode. Owned by Run.
type clusterState struct {
	epoch   string
	last    StreamID  // the newest entry appended, or Follow's position
	floor   StreamID  // the ring holds every event of the stream after floor
	base    uint64    // ring sequences up to base came before the stream was followed
	index   []indexed // the ring's events of the stream, oldest first from head
	head    int
	gaps    []indexed // marks after floor that a resume across them reports as a gap
	quiet   uint64    // h.seq when the last stream gap went out: another before an event repeats it
	waiting []join    // resumes from ahead of last, answered once the stream gets there
}

// indexed is an event of the ring by its stream id, or a mark with its gap reason.
type indexed struct {
	id  StreamID
	seq uint64
	gap string
}

func (h *Hub) follow(epoch string, at StreamID, states []hass.State) {
	s := &h.cluster
	switch {
	case s.epoch == epoch && s.last == at:
		return
	case s.epoch == "":
		s.quiet = h.seq // nothing was sent that the first leader's gap could be about
	case s.epoch != epoch:
		h.streamGap(GapEpochChanged)
	default:
		h.streamGap(GapReplayWindowExceeded)
	}
	waiting := s.waiting
	*s = clusterState{epoch: epoch, last: at, floor: at, base: h.seq, quiet: s.quiet}
	clear(h.states)
	for _, st := range states {
		h.states[st.EntityID] = st
	}
	h.link = linkState{haveStates: true}
	for _, j := range waiting { // their ids are of the lost history now
		h.join(j)
	}
}

func (h *Hub) appendEntry(id StreamID, ev *hass.Event, mark Mark) {
	s := &h.cluster
	if s.epoch == "" || !s.last.Less(id) {
		return // not following, or had already
	}
	s.last = id
	switch mark {
	case MarkLinkDown:
		h.linkDown()
	case MarkLinkUp:
		h.linkUp(nil)
	case MarkFailover:
		h.streamGap(GapLeaderFailover)
		h.link = linkState{haveStates: true}
	}
	if reason := mark.gapReason(); reason != "" {
		s.gaps = append(s.gaps, indexed{id: id, gap: reason})
	}
	if ev != nil {
		h.dispatch(ev)
		s.index = append(s.index, indexed{id: id, seq: h.seq})
		s.prune(h.ring)
	}
	if len(s.waiting) > 0 {
		h.answerWaiting()
	}
}

// streamGap tells every client that events may have been lost, unless a gap went out already
// and no event since: one outage, one gap.
func (h *Hub) streamGap(reason string) {
	if h.cluster.quiet == h.seq {
		return
	}
	now := time.Now()
	h.broadcast(format.NewControl(
		format.AppendGap(nil, format.Envelope, reason, h.lastID, now),
		format.AppendGap(nil, format.Named, reason, h.lastID, now)))
	h.cluster.quiet = h.seq
}

// prune forgets the events the ring no longer holds, moving the floor up to the newest of them.
func (s *clusterState) prune(r *ring) {
	for s.head < len(s.index) && (len(r.held()) == 0 || s.index[s.head].seq < r.first) {
		s.floor = s.index[s.head].id
		s.head++
	}
	if s.head > 64 && s.head > len(s.index)/2 {
		s.index = append(s.index[:0], s.index[s.head:]...)
		s.head = 0
	}
	n := 0
	for n < len(s.gaps) && !s.floor.Less(s.gaps[n].id) {
		n++
	}
	s.gaps = slices.Delete(s.gaps, 0, n)
}

// replayAfter appends to dst the ring's events after stream id id, which must not be older than
// the floor, that keep wants.
func (h *Hub) replayAfter(dst []*format.Frame, id StreamID, keep func(*format.Frame) bool) []*format.Frame {
	s := &h.cluster
	s.prune(h.ring)
	live := s.index[s.head:]
	after := s.base // nothing of the stream is older than id: replay from its start
	if n := sort.Search(len(live), func(i int) bool { return id.Less(live[i].id) }); n > 0 {
		after = live[n-1].seq // the ring's event of the newest id up to id
	}
	if r := h.ring; len(r.held()) > 0 && after+1 < r.first {
		after = r.first - 1
	}
	return h.ring.appendAfter(dst, after, keep)
}

// gapAfter returns the reason of the first gap mark after id, or "".
func (s *clusterState) gapAfter(id StreamID) string {
	for _, g := range s.gaps {
		if id.Less(g.id) {
			return g.gap
		}
	}
	return ""
}
