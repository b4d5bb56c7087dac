package hub

import (
	"sync"
	"sync/atomic"
	"time"

	"hasse/internal/format"
)

// queue holds the frames waiting for one client, bounded by the bytes they take in the client's
// wire format. The hub pushes; the client's writer takes everything at once. Its mutex guards a
// few lines and is never held across I/O or a channel send.
type queue struct {
	kind  format.Kind
	limit int

	mu     sync.Mutex
	frames []queued
	spare  []queued // the slice the writer handed back, reused by the next push
	bytes  int

	wake atomic.Pointer[func()] // the writer's wake-up, set by Client.Wake; nil: no writer yet

	// What the writer reads and counts on every write lives here, beside what it takes, rather
	// than in the Client: one write to a client then touches the queue's two cache lines and no
	// other of the client's (perf showed the first touch of each among a delivery's costs).
	ended    atomic.Bool  // the hub ended the client: set once its done channel is closed
	sent     atomic.Int64 // events written to the client
	written  atomic.Int64 // bytes written to the client's connection
	lastSent atomic.Int64 // when the last of those events was flushed, Unix ns; 0 before one
}

// queued is one frame waiting, with or without its id: line.
type queued struct {
	fr     *format.Frame
	withID bool
}

func (e queued) bytes(k format.Kind) []byte {
	if e.withID {
		return e.fr.Bytes(k)
	}
	return e.fr.BytesWithoutID(k)
}

// push appends fr unless that would take a non-empty queue over its byte bound, so that one
// frame larger than the bound still reaches a client that keeps up. It never blocks.
func (q *queue) push(fr *format.Frame, withID bool) bool {
	e := queued{fr, withID}
	n := len(e.bytes(q.kind))
	q.mu.Lock()
	if q.bytes > 0 && q.bytes+n > q.limit { // the bound is on the backlog: one big frame alone passes
		q.mu.Unlock()
		return false
	}
	if q.frames == nil {
		q.frames, q.spare = q.spare[:0], nil
	}
	q.frames = append(q.frames, e)
	q.bytes += n
	q.mu.Unlock()
	q.signal()
	return true
}

// signal tells the client's writer that there is something new for it. It never blocks. Before a
// writer is there, there is nobody to tell: Client.Wake wakes its writer once at once.
func (q *queue) signal() {
	if wake := q.wake.Load(); wake != nil {
		(*wake)()
	}
}

// take appends the bytes of every waiting frame to dst, and the receive time of every event
// among them to received, and empties the queue.
func (q *queue) take(dst []byte, received []time.Time) ([]byte, []time.Time) {
	q.mu.Lock()
	frames := q.frames
	q.frames, q.bytes = nil, 0
	q.mu.Unlock()
	for i, e := range frames {
		dst = append(dst, e.bytes(q.kind)...)
		if e.fr.Event != nil {
			received = append(received, e.fr.Event.Received)
		}
		frames[i] = queued{}
	}
	q.mu.Lock()
	if q.spare == nil {
		q.spare = frames[:0]
	}
	q.mu.Unlock()
	return dst, received
}

// pending reports the bytes waiting.
func (q *queue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// events reports the frames waiting.
func (q *queue) events() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.frames)
}

// discard drops everything waiting, for a client that will never read it, and returns how many
// events (not control frames) it dropped.
func (q *queue) discard() (events int) {
	q.mu.Lock()
	for _, e := range q.frames {
		if e.fr.Event != nil {
			events++
		}
	}
	clear(q.frames)
	q.frames, q.bytes = q.frames[:0], 0
	q.mu.Unlock()
	return events
}
