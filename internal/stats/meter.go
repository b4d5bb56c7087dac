package stats

import (
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// meterShards spreads the counters of concurrent writers over as many histograms, so that
// clients flushing at the same time on different cores rarely touch the same cache line.
const meterShards = 8

// Meter counts deliveries, their latency, the bytes written to clients and the events that did
// not reach them, for a [Collector]: it is the hub's [hub.Meter], made before the hub
// (new(Meter) is ready to use) and handed to both. Its methods are safe for concurrent use.
type Meter struct {
	shards      [meterShards]Histogram
	bytes       [meterShards]paddedCounter
	undelivered atomic.Int64 // rare: a slow consumer's queue, a failed write
}

// paddedCounter fills a cache line of its own.
type paddedCounter struct {
	n atomic.Uint64
	_ [56]byte
}

// Delivered records that one write to a client, flushed at now, carried events read from Home
// Assistant at the times in received. It adds to atomic counters only: it never locks and never
// allocates.
func (m *Meter) Delivered(now time.Time, received []time.Time) {
	ns := now.UnixNano()
	h := &m.shards[(ns^ns>>12)&(meterShards-1)] // the clock's low bits pick a shard at random
	prev, n, sum := -1, uint64(0), int64(0)
	for _, r := range received {
		us := now.Sub(r).Microseconds()
		sum += max(us, 0)
		if i := bucketOf(us); i != prev {
			if n > 0 {
				h.counts[prev].Add(n)
			}
			prev, n = i, 0
		}
		n++
	}
	if n > 0 {
		h.counts[prev].Add(n)
	}
	if sum > 0 {
		h.sumUS.Add(uint64(sum))
	}
}

// Wrote records n bytes written to a client's connection: one atomic add on a counter picked at
// random (the runtime's per-thread generator: no lock, no allocation).
func (m *Meter) Wrote(n int) {
	if n > 0 {
		m.bytes[rand.Uint32()&(meterShards-1)].n.Add(uint64(n))
	}
}

// Undelivered records events that should have reached a client and did not.
func (m *Meter) Undelivered(events int) { m.undelivered.Add(int64(events)) }

// snapshot returns every delivery so far; its Total is the number of events delivered.
func (m *Meter) snapshot() Dist {
	var d Dist
	for i := range m.shards {
		s := m.shards[i].snapshot()
		d.Add(&s)
	}
	return d
}

// bytesSent returns the bytes written to clients so far.
func (m *Meter) bytesSent() int64 {
	var n uint64
	for i := range m.bytes {
		n += m.bytes[i].n.Load()
	}
	return int64(n)
}

// lost returns the events that did not reach a client so far.
func (m *Meter) lost() int64 { return m.undelivered.Load() }
