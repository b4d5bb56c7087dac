package hub

import (
	"context"
	"slices"
	"time"

	"hasse/internal/format"
)

// A resume by stream id (cluster mode) may need what Run cannot do without blocking: read the
// stream's older entries from Redis, or learn whether an id this instance has not reached yet is
// real. Run then answers the join with what it needs instead of a client; Subscribe gets it on
// its own goroutine and joins again. Run registers the client only once it can do so in one
// step with the whole replay, so nothing falls between the replay and live events.

// History serves resumes older than the replay ring from the cluster's stream. The cluster
// package's Node satisfies it.
type History interface {
	// Range returns the stream's entries after after, up to and including upTo, in order. It
	// fails when the stream is no longer of epoch or no longer holds the entry after.
	Range(ctx context.Context, epoch string, after, upTo StreamID) ([]Entry, error)
	// Newest returns the id of the stream's newest entry; it fails when the stream is no longer
	// of epoch.
	Newest(ctx context.Context, epoch string) (StreamID, error)
}

// aheadWait bounds how long a resume from an id this instance has not reached yet waits for it.
const aheadWait = 5 * time.Second

// streamResume is what Subscribe learned for Run about a resume by stream id.
type streamResume struct {
	ahead     aheadState
	older     []olderFrame // the matching events after the client's id up to upTo, from History
	gaps      []indexed    // the gap marks among them
	upTo      StreamID
	fetched   bool // older was read
	noHistory bool // History cannot serve this resume: it ends in a gap
}

type olderFrame struct {
	id StreamID
	fr *format.Frame
}

type aheadState uint8

const (
	aheadUnasked aheadState = iota // not known whether the stream holds the id
	aheadReal                      // the stream holds it: wait until this instance gets there
	aheadUnknown                   // it does not, or waiting took too long: unknown_event_id
)

// need is Run's answer to a join it cannot complete alone.
type need struct {
	ahead        bool     // ask the stream whether it holds the id
	aheadTimeout bool     // the wait for the id ran out
	after, upTo  StreamID // read the stream's entries between these
}

// joinStream answers, or parks, a join whose Last-Event-ID only the stream can serve, and
// reports whether it did; otherwise add registers the client.
func (h *Hub) joinStream(j join) bool {
	s := &h.cluster
	epoch, id, ok := parseClusterID(j.sub.LastEventID)
	if !ok || s.epoch == "" || epoch != s.epoch || h.cfg.History == nil {
		return false
	}
	sr := &j.sub.stream
	s.prune(h.ring)
	switch {
	case s.last.Less(id) && sr.ahead == aheadUnasked:
		j.reply <- joinReply{need: &need{ahead: true}}
	case s.last.Less(id) && sr.ahead == aheadReal:
		s.waiting = append(s.waiting, j)
	case id.Less(s.floor) && !sr.noHistory && (!sr.fetched || sr.upTo.Less(s.floor)):
		j.reply <- joinReply{need: &need{after: id, upTo: s.floor}}
	default:
		return false
	}
	return true
}

// resumeStream resumes c after lastID when it is an id of the stream, and reports whether it
// was; joinStream has made sure the replay can be built now.
func (h *Hub) resumeStream(c *Client, lastID string, sr *streamResume) bool {
	s := &h.cluster
	epoch, id, ok := parseClusterID(lastID)
	if !ok || s.epoch == "" {
		return false
	}
	keep := func(fr *format.Frame) bool { return c.wants(fr.Event) }
	switch {
	case epoch != s.epoch:
		c.Gap = GapEpochChanged
	case s.last.Less(id):
		c.Gap = GapUnknownEventID
	case !id.Less(s.floor):
		c.Resumed, c.Gap = true, s.gapAfter(id)
		c.replay = h.replayAfter(nil, id, keep)
	case sr.fetched && !sr.upTo.Less(s.floor):
		c.Resumed = true
		for _, o := range sr.older {
			if s.floor.Less(o.id) {
				break
			}
			c.replay = append(c.replay, o.fr)
		}
		c.replay = h.replayAfter(c.replay, s.floor, keep)
		for _, g := range sr.gaps {
			if !s.floor.Less(g.id) && c.Gap == "" {
				c.Gap = g.gap
			}
		}
		c.Gap = cmpOr(c.Gap, s.gapAfter(s.floor))
	default:
		c.Gap = GapReplayWindowExceeded
	}
	return true
}

// answerWaiting joins the parked resumes whose id the stream has reached.
func (h *Hub) answerWaiting() {
	s := &h.cluster
	var ready []join
	s.waiting = slices.DeleteFunc(s.waiting, func(j join) bool {
		_, id, _ := parseClusterID(j.sub.LastEventID)
		if s.last.Less(id) {
			return false
		}
		ready = append(ready, j)
		return true
	})
	for _, j := range ready {
		h.join(j)
	}
}

// unpark takes back the parked join that answers on reply; false when it was answered already.
func (h *Hub) unpark(reply chan joinReply) bool {
	for i, j := range h.cluster.waiting {
		if j.reply == reply {
			h.cluster.waiting = append(h.cluster.waiting[:i], h.cluster.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// abandonWaiting answers every parked join: the hub is stopping.
func (h *Hub) abandonWaiting() {
	for _, j := range h.cluster.waiting {
		j.reply <- joinReply{err: ErrClosed}
	}
	h.cluster.waiting = nil
}

// await waits for the answer to j, which Run may park while it waits for the stream to reach
// the client's id; a wait longer than aheadWait, or ctx ending, takes the join back.
func (h *Hub) await(ctx context.Context, j join) (joinReply, error) {
	if j.sub.stream.ahead != aheadReal {
		return <-j.reply, nil // answered at once
	}
	t := time.NewTimer(aheadWait)
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
	return joinReply{need: &need{aheadTimeout: true}}, nil
}

// prepare learns, outside Run, what Run needs to resume sub: whether the stream holds an id this
// instance has not reached, or the stream's entries older than the ring.
func (h *Hub) prepare(ctx context.Context, sub Subscription, n *need) Subscription {
	sr := &sub.stream
	epoch, id, _ := parseClusterID(sub.LastEventID)
	switch {
	case n.aheadTimeout:
		sr.ahead = aheadUnknown
	case n.ahead:
		sr.ahead = aheadUnknown
		if newest, err := h.cfg.History.Newest(ctx, epoch); err == nil && !newest.Less(id) {
			sr.ahead = aheadReal
		}
	default:
		after := n.after
		if sr.fetched {
			after = sr.upTo // what was read before still holds; read on from there
		}
		entries, err := h.cfg.History.Range(ctx, epoch, after, n.upTo)
		if err != nil {
			sr.noHistory = true
			break
		}
		for _, e := range entries {
			if reason := e.Mark.gapReason(); reason != "" {
				sr.gaps = append(sr.gaps, indexed{id: e.ID, gap: reason})
			}
			if e.Event != nil && sub.Filter.Match(e.Event) && sub.Scope.Allows(e.Event) {
				sr.older = append(sr.older, olderFrame{e.ID, format.NewFrame(e.Event)})
			}
		}
		sr.upTo, sr.fetched = n.upTo, true
	}
	return sub
}

// giveUp makes sub's next join complete without asking for anything more.
func giveUp(sub Subscription) Subscription {
	sub.stream.ahead, sub.stream.noHistory = aheadUnknown, true
	return sub
}
