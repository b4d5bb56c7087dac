package main

import (
	"slices"
	"sync"
	"sync/atomic"
)

// tally counts what one process's clients receive, event by event: an event is known by its
// publish stamp, which the fake Home Assistant makes unique by sending one event at a time. For
// each it keeps how many clients got it and when the first and the last did, so that several
// processes' tallies add up to "publish to the last client" per event; every delivery's latency
// also goes to a histogram. Record may be called concurrently, from every reader.
type tally struct {
	events    sync.Map // stamp → *eventCount
	latency   histogram
	received  atomic.Int64 // stamped events received, all clients together
	unstamped atomic.Int64 // events with no stamp (resyncs, gaps): not counted otherwise
}

// eventCount is one event's receipts.
type eventCount struct {
	clients     atomic.Int64
	first, last atomic.Int64 // Unix ns of the earliest and the latest receipt
}

// eventReceipts is an event's line in a listener's JSON: its stamp, the clients that received
// it and the times (Unix ns) of the first receipt and the last.
type eventReceipts struct {
	Stamp   int64 `json:"ts"`
	Clients int64 `json:"clients"`
	FirstNs int64 `json:"first_ns"`
	LastNs  int64 `json:"last_ns"`
}

// record counts one receipt at now of the event stamped stamp (ok false: it had no stamp).
func (t *tally) record(now, stamp int64, ok bool) {
	if !ok {
		t.unstamped.Add(1)
		return
	}
	t.latency.record(now - stamp)
	t.received.Add(1)
	v, found := t.events.Load(stamp)
	if !found {
		c := &eventCount{}
		c.first.Store(now)
		c.last.Store(now)
		v, _ = t.events.LoadOrStore(stamp, c)
	}
	c := v.(*eventCount)
	c.clients.Add(1)
	for m := c.first.Load(); now < m && !c.first.CompareAndSwap(m, now); m = c.first.Load() {
	}
	for m := c.last.Load(); now > m && !c.last.CompareAndSwap(m, now); m = c.last.Load() {
	}
}

// receipts lists every event received, in order of stamp.
func (t *tally) receipts() []eventReceipts {
	list := []eventReceipts{}
	t.events.Range(func(k, v any) bool {
		c := v.(*eventCount)
		list = append(list, eventReceipts{Stamp: k.(int64), Clients: c.clients.Load(), FirstNs: c.first.Load(), LastNs: c.last.Load()})
		return true
	})
	slices.SortFunc(list, func(a, b eventReceipts) int { return int(min(max(a.Stamp-b.Stamp, -1), 1)) })
	return list
}
