package cluster

import (
	"context"
	"sync/atomic"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// In cluster mode the local hub hears from two places: the stream, through the reader, and,
// while Redis cannot be written, the leader's own link, through its publisher (SPEC.md §7: the
// leader keeps local delivery). One goroutine, the feeder, hands the hub both, in the order it
// gets them, so that it can tell when the local delivery has gone stale: once the stream holds
// an entry newer than the newest the stream had when the delivery began, another instance writes
// it (the publishing script admits only the lease holder, and a leader delivering locally writes
// nothing). What the old leader still delivers would then interleave with the new leader's
// events, an older state after a newer one, and a client's view would stay wrong; so from there
// on its events are dropped, and its session ends. The new leader's resync covers them.
//
// A write the leader took for failed (Redis's answer lost) may have stored its entries after
// all, and the reader may hand them over before or after the leader delivers the same items
// locally. Entries carry their session and item number (codec.go), so the feeder hands the hub
// each item once: the stream's entries of an item already delivered locally are dropped, and so
// is a local item the stream brought first. They are the leader's own: no sign of another.

// feedItem is one thing for the feeder to hand the hub.
type feedItem struct {
	kind   feedKind
	epoch  string     // feedEntry: the stream's
	entry  entry      // feedEntry
	at     string     // feedReset: the event id to resume after
	reason format.Gap // feedReset: the gap reason
	states []hass.State
	run    *localRun // feedLocalOn, feedLocal
	item   item      // feedLocal
}

type feedKind uint8

const (
	feedEntry   feedKind = iota // an entry of the stream
	feedReset                   // the reader took the stream up anew
	feedLocalOn                 // a leader's publisher delivers locally from here on
	feedLocal                   // one item of that delivery
)

// localRun is one stretch of a leader's local delivery.
type localRun struct {
	epoch  string
	after  StreamID    // the newest entry of the stream as it began: a newer one is another writer's
	origin string      // the leader's session: its entries are the leader's own
	stale  atomic.Bool // the stream moved past after: the feeder drops the run's items

	// Owned by the feeder.
	delivered uint64 // the newest item delivered locally
	streamed  uint64 // the newest item of the session the stream brought
}

// drops reports whether e is an entry of run's session the hub has from its local delivery.
func (run *localRun) drops(e entry) bool { return e.item <= run.delivered }

// feedBuffer is how many items may wait for the feeder (the hub has a buffer of its own).
const feedBuffer = 1024

// feedHub hands h what the reader and the leader's publisher send, in order, until ctx ends.
func (n *Node) feedHub(ctx context.Context, h Hub) {
	var run *localRun // the local delivery on now; nil when none
	var newest entry  // the newest entry handed over: its origin and item
	for {
		var f feedItem
		select {
		case f = <-n.feed:
		case <-ctx.Done():
			return
		}
		switch f.kind {
		case feedEntry:
			switch e := f.entry; {
			case run != nil && e.origin != "" && e.origin == run.origin && f.epoch == run.epoch:
				if run.drops(e) {
					continue
				}
				run.streamed = max(run.streamed, e.item)
			case run != nil && (f.epoch != run.epoch || run.after.Less(e.id)):
				run.stale.Store(true)
				run = nil
			}
			newest = f.entry
			feedEntryTo(h, f.epoch, f.entry)
		case feedReset:
			if run != nil { // the stream was made anew or trimmed: another wrote it
				run.stale.Store(true)
				run = nil
			}
			h.Reset(f.at, f.reason, f.states)
		case feedLocalOn:
			run = f.run
			if newest.origin != "" && newest.origin == run.origin {
				run.streamed = newest.item
			}
		case feedLocal:
			if f.run == run && !run.stale.Load() && f.item.seq > run.streamed {
				deliverTo(h, f.item)
				run.delivered = f.item.seq
			}
		}
	}
}

// send queues f for the feeder; it waits while feedBuffer items wait, and gives up when ctx ends.
func (n *Node) send(ctx context.Context, f feedItem) {
	select {
	case n.feed <- f:
	case <-ctx.Done():
	}
}

// feedEntryTo hands h the entry e of epoch's stream.
func feedEntryTo(h Hub, epoch string, e entry) {
	switch e.kind {
	case kindEvent:
		h.Publish(e.ev)
	case kindLinkDown:
		h.Disconnected()
	case kindLinkUp:
		h.Gap(eventID(epoch, e.id), format.GapHAReconnected)
	case kindFailover:
		h.Gap(eventID(epoch, e.id), format.GapLeaderFailover)
	}
}

// deliverTo hands h one item of a leader's local delivery: without an id, the hub numbers it.
func deliverTo(h Hub, it item) {
	switch it.kind {
	case itemEvent:
		h.Publish(it.ev)
	case itemUp:
		h.Connected(it.states)
	case itemDown:
		h.Disconnected()
	}
}
