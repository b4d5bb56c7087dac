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
	epoch string
	after StreamID    // the newest entry of the stream as it began: a newer one is another writer's
	stale atomic.Bool // the stream moved past after: the feeder drops the run's items
}

// feedBuffer is how many items may wait for the feeder (the hub has a buffer of its own).
const feedBuffer = 1024

// feedHub hands h what the reader and the leader's publisher send, in order, until ctx ends.
func (n *Node) feedHub(ctx context.Context, h Hub) {
	var run *localRun // the local delivery on now; nil when none
	for {
		var f feedItem
		select {
		case f = <-n.feed:
		case <-ctx.Done():
			return
		}
		switch f.kind {
		case feedEntry:
			if run != nil && (f.epoch != run.epoch || run.after.Less(f.entry.id)) {
				run.stale.Store(true)
				run = nil
			}
			feedEntryTo(h, f.epoch, f.entry)
		case feedReset:
			if run != nil { // the stream was made anew or trimmed: another wrote it
				run.stale.Store(true)
				run = nil
			}
			h.Reset(f.at, f.reason, f.states)
		case feedLocalOn:
			run = f.run
		case feedLocal:
			if f.run == run && !run.stale.Load() {
				deliverTo(h, f.item)
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
