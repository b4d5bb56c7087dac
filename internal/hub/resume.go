package hub

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"time"

	"hasse/internal/format"
)

// A resume (SPEC.md §4.5) is placed by Run, in the step that registers the client, so nothing
// falls between the replay and live events. An id Run finds in its ring (exactly), its own
// "<epoch>-<sequence>" and the newest id are placed at once. An id that came from elsewhere and
// that the ring does not hold needs what Run cannot do without blocking: Run answers the join
// with a need, Subscribe asks the History on its own goroutine and joins again with the answer.
// The History may name the entry to resume after instead, which Run waits a while for when it
// has not had it yet (it parks the join by that exact id), or hand over the entries older than
// the ring, which Run puts before the ring's.

// resumeWait bounds how long a resume waits for what it needs of the History: for an entry this
// instance has not had yet, and for reads that keep falling behind a ring moving on.
const resumeWait = 5 * time.Second

// resumeState is what Subscribe learned of the History for Run.
type resumeState struct {
	asked    bool            // the History was asked about the Last-Event-ID
	gap      format.Gap      // the resume ends in this gap
	after    string          // resume after this entry rather than the Last-Event-ID
	wait     bool            // Run has not had after yet: wait for it
	older    []*format.Frame // the matching events after the Last-Event-ID that the ring no longer holds
	olderGap format.Gap      // the gap reason of the first mark among them
	upTo     string          // older reach up to and including the entry of this id; "" when not read
}

// need is Run's answer to a join it cannot complete alone: Subscribe asks the History to locate
// lastID given floor.
type need struct {
	lastID, floor string
	readOn        bool // older was read up to lastID, but the ring has moved on since: read on to floor
	timedOut      bool // the wait for the entry to resume after ran out
}

// placement is where Run resumes a client: after the entry of sequence seq (ok), with a gap to
// report or without; or nowhere, for the reason gap.
type placement struct {
	ok  bool
	seq uint64
	gap format.Gap
}

// place works out where sub resumes, or what it needs first: the History's answer (need), or
// the entry to resume after (park).
func (h *Hub) place(sub *Subscription) (p placement, n *need, park bool) {
	rs := &sub.resume
	switch {
	case rs.gap != "":
		return placement{gap: rs.gap}, nil, false
	case rs.upTo != "" && rs.upTo != h.ring.floor: // the ring let go of entries while older were read
		return placement{}, &need{lastID: rs.upTo, floor: h.ring.floor, readOn: true}, false
	case rs.upTo != "":
		return placement{ok: true, seq: h.ring.floorSeq, gap: rs.olderGap}, nil, false
	}
	id := cmp.Or(rs.after, sub.LastEventID)
	if seq, ok := h.find(id); ok {
		return placement{ok: true, seq: seq}, nil, false
	}
	switch epoch, n, own := parseOwnID(id); {
	case rs.after != "" && rs.wait:
		return placement{}, nil, true
	case own && epoch == h.cfg.Epoch && n > h.seq:
		return placement{gap: format.GapUnknownEventID}, nil, false
	case own && epoch == h.cfg.Epoch:
		return placement{gap: format.GapReplayWindowExceeded}, nil, false
	case own: // of another hub's numbering (ids from a history never have this shape)
		return placement{gap: format.GapEpochChanged}, nil, false
	case h.ring.floor == "" || h.cfg.History == nil || rs.asked:
		return placement{gap: format.GapUnknownEventID}, nil, false
	}
	return placement{}, &need{lastID: id, floor: h.ring.floor}, false
}

// find returns the sequence of the entry id names, when the ring holds every entry after it.
func (h *Hub) find(id string) (uint64, bool) {
	switch epoch, n, own := parseOwnID(id); {
	case id == "":
	case !own || epoch != h.cfg.Epoch: // an id from a history
		if seq, ok := h.ring.lookup(id); ok {
			return seq, true
		}
		switch {
		case id == h.ring.floor:
			return h.ring.floorSeq, true
		case id == h.lastID && h.seq > h.ring.forgotten: // the newest event, and the ring holds nothing
			return h.seq, true
		}
	case n <= h.ring.forgotten && n > 0: // before the history was lost
	case n == h.seq || n+1 == h.ring.first: // the newest, or the one just before the oldest held
		return n, true
	default:
		if fr, ok := h.ring.at(n); ok && fr.Event != nil && fr.Event.ID == id {
			return n, true
		}
	}
	return 0, false
}

// parseOwnID splits an id of the shape the hub gives its own events, "<epoch>-<sequence>".
func parseOwnID(id string) (epoch string, seq uint64, ok bool) {
	epoch, seqText, ok := strings.Cut(id, "-")
	if !ok {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(seqText, 10, 64)
	return epoch, seq, err == nil
}

// resume gives c the events after p, or the reason it cannot have them. It runs in the same step
// that registers c, so nothing falls between the replay and live events.
func (h *Hub) resume(c *Client, p placement, rs *resumeState) {
	if !p.ok {
		c.Gap = p.gap
		return
	}
	c.Resumed = true
	c.replay = h.ring.appendAfter(rs.older, p.seq, func(fr *format.Frame) bool { return c.wants(fr.Event) })
	c.Gap = cmp.Or(p.gap, h.ring.gapAfter(p.seq))
}

// prepare asks the History, outside Run, what Run needs to resume sub.
func (h *Hub) prepare(ctx context.Context, sub Subscription, n *need) Subscription {
	rs := &sub.resume
	if n.timedOut {
		rs.gap = format.GapUnknownEventID
		return sub
	}
	if !n.readOn {
		*rs = resumeState{}
	}
	rs.asked = true
	loc := h.cfg.History.Locate(ctx, n.lastID, n.floor)
	switch {
	case loc.Gap != "":
		rs.gap = loc.Gap
	case loc.After != "":
		rs.after, rs.wait = loc.After, true
	default:
		for _, e := range loc.Older {
			switch {
			case e.Event == nil:
				rs.olderGap = cmp.Or(rs.olderGap, e.Gap)
			case sub.Filter.Match(e.Event) && sub.Scope.Allows(e.Event):
				rs.older = append(rs.older, format.NewFrame(e.Event))
			}
		}
		rs.upTo = n.floor
	}
	return sub
}

// awaitStart waits, up to resumeWait, for the History's first Reset: until it comes, the hub
// knows no place in the History, and would answer a resume that a moment later it could place
// with unknown_event_id (an instance just started, its clients reconnecting to it).
func (h *Hub) awaitStart(ctx context.Context) {
	if h.started == nil {
		return
	}
	select {
	case <-h.started:
		return
	default:
	}
	t := time.NewTimer(resumeWait)
	defer t.Stop()
	select {
	case <-h.started:
	case <-t.C: // the History is out of reach: the resume ends in a gap
	case <-ctx.Done():
	case <-h.stopped:
	}
}

// answerWaiting joins the parked resumes that wait for the entry of id.
func (h *Hub) answerWaiting(id string) {
	if len(h.waiting) == 0 {
		return
	}
	ready := h.waiting[id]
	delete(h.waiting, id)
	for _, j := range ready {
		j.sub.resume.wait = false
		h.join(j)
	}
}

// askAgain has every parked join locate its id again: the history they waited in was lost.
func (h *Hub) askAgain() {
	for id, js := range h.waiting {
		for _, j := range js {
			j.reply <- joinReply{need: &need{lastID: j.sub.LastEventID, floor: h.ring.floor}}
		}
		delete(h.waiting, id)
	}
}

// unpark takes back the parked join that answers on reply; false when it was answered already.
func (h *Hub) unpark(reply chan joinReply) bool {
	for id, js := range h.waiting {
		for i, j := range js {
			if j.reply == reply {
				if h.waiting[id] = append(js[:i], js[i+1:]...); len(h.waiting[id]) == 0 {
					delete(h.waiting, id)
				}
				return true
			}
		}
	}
	return false
}

// abandonWaiting answers every parked join: the hub is stopping.
func (h *Hub) abandonWaiting() {
	for _, js := range h.waiting {
		for _, j := range js {
			j.reply <- joinReply{err: ErrClosed}
		}
	}
	clear(h.waiting)
}

// await waits for the answer to j, which Run may park while it waits for the entry to resume
// after; a wait longer than resumeWait, or ctx ending, takes the join back.
func (h *Hub) await(ctx context.Context, j join) (joinReply, error) {
	if !j.sub.resume.wait {
		return <-j.reply, nil // answered at once
	}
	t := time.NewTimer(resumeWait)
	defer t.Stop()
	var cause error
	select {
	case r := <-j.reply:
		return r, nil
	case <-t.C:
	case <-ctx.Done():
		cause = ctx.Err()
	}
	taken := false // stays false when the hub has stopped: it answered every parked join
	h.query(context.WithoutCancel(ctx), func() { taken = h.unpark(j.reply) })
	if !taken {
		r := <-j.reply // answered meanwhile
		if cause != nil && r.c != nil {
			r.c.Close()
			return joinReply{}, cause
		}
		return r, nil
	}
	if cause != nil {
		return joinReply{}, cause
	}
	return joinReply{need: &need{timedOut: true}}, nil
}
