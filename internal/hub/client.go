package hub

import (
	"time"

	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hass"
)

// Ending is why the hub ended a client's stream; [Client.Err] returns one. Its value is the word
// the stream's last words carry (SPEC.md §4.7): a [format.ErrorCode] or a
// [format.DisconnectReason].
type Ending string

// Why the hub ended a client's stream.
const (
	ErrSlowConsumer  = Ending(format.ErrorSlowConsumer)        // its queue overflowed
	ErrShutdown      = Ending(format.DisconnectServerShutdown) // the hub is stopping
	ErrClosedByAdmin = Ending(format.DisconnectClosedByAdmin)  // an administrator closed it
	ErrUnauthorized  = Ending(format.ErrorUnauthorized)        // its token is no longer valid
)

func (e Ending) Error() string { return "hub: client ended: " + string(e) }

// Reason returns the word for e on the wire.
func (e Ending) Reason() string { return string(e) }

// Meter is told of every delivery: received holds the time hasse read each event that one write
// to one client carried, flushed at now. It is also told of the bytes every write put on a
// client's connection, and of the events that should have reached a client and did not: those
// dropped with a slow consumer's queue, and those of a write that failed. It is called from the
// clients' writers (and, for drops, the hub), concurrently, and must neither block nor allocate.
type Meter interface {
	Delivered(now time.Time, received []time.Time)
	Wrote(bytes int)
	Undelivered(events int)
}

// Client is one subscriber: its filter, its wire format and the bounded queue the hub fills. Its
// writer (package writer) takes the backlog once, then the queued frames whenever it is woken,
// and says the client's last words once Done is closed. The exported fields are set at
// [Hub.Subscribe] and read-only afterwards.
type Client struct {
	// The order is for the hot path: the queue in place, then what the hub reads for every event
	// it fans out. A delivery then touches the client's first three cache lines and no other
	// (perf: the costs of a delivery in hasse's own code were mostly first touches of lines).
	q   queue
	hub *Hub
	// Owned by Hub.Run.
	seen    uint64             // index generation of the last lookup that considered this client
	lastSeq uint64             // sequence of the newest event queued
	held    int                // windows holding a state back
	windows map[string]*window // open throttle windows by entity

	Filter      *filter.Filter // nil: every event
	Scope       *filter.Filter // what the user may see at all; nil: everything
	Format      format.Kind
	Throttle    time.Duration // at most one state_changed per entity per Throttle; 0: all
	ID          string        // connection id, unique within the process
	ClientID    string        // the label the client chose, or one made for it
	User        string        // the user or token name the client authenticated as
	ConnectedAt time.Time
	RemoteAddr  string // the client's address, for the statistics tool
	UserAgent   string
	Protocol    string     // the request's protocol ("HTTP/1.1", "HTTP/2.0"), for the statistics tool
	TLS         string     // the TLS version ("TLS 1.3"); "" for a plain connection
	Resumed     bool       // a Last-Event-ID resume succeeded: the backlog replays what was missed
	Gap         format.Gap // why a Last-Event-ID resume failed; "" otherwise

	replay   []*format.Frame // frames the resume owes the client, written before anything queued
	snapshot []hass.State    // the snapshot owed to the client (nil: none), written first
	done     chan struct{}   // closed by the hub when it ends the client; err is set before
	err      error
}

// wants reports whether ev passes the client's filter and its scope. The index finds candidates
// by the filter alone, so a scope costs only on those.
func (c *Client) wants(ev *hass.Event) bool {
	return c.Filter.Match(ev) && c.Scope.Allows(ev)
}

// Kind returns the client's wire format, as its writer needs it.
func (c *Client) Kind() format.Kind { return c.Format }

// EventsSent returns how many events have been written to the client.
func (c *Client) EventsSent() int64 { return c.q.sent.Load() }

// LastEventAt returns when the last event written to the client was flushed; zero before one.
func (c *Client) LastEventAt() time.Time {
	if ns := c.q.lastSent.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// BytesSent returns how many bytes have been written to the client's connection: what the
// gateway wrote, the transfer coding's framing included where hasse writes it itself.
func (c *Client) BytesSent() int64 { return c.q.written.Load() }

// QueuedBytes returns the bytes waiting in the client's queue.
func (c *Client) QueuedBytes() int { return c.q.pending() }

// QueuedEvents returns the frames (events and control events) waiting in the client's queue.
func (c *Client) QueuedEvents() int { return c.q.events() }

// Done is closed when the hub has ended the client (it was too slow, or the hub is stopping).
func (c *Client) Done() <-chan struct{} { return c.done }

// Ended reports whether the hub has ended the client, as a receive from Done would, without
// touching the channel: a pooled writer asks on every write.
func (c *Client) Ended() bool { return c.q.ended.Load() }

// Err says why the hub ended the client, an [Ending]: [ErrSlowConsumer], [ErrShutdown],
// [ErrClosedByAdmin] or [ErrUnauthorized]; nil before Done.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close unregisters the client. The client's writer calls it once, when the stream ends for any
// reason; it returns at once if the hub has stopped.
func (c *Client) Close() {
	select {
	case c.hub.leaves <- c:
	case <-c.hub.stopped:
	}
}

// Wake has wake called, at once and then whenever the client has something new for its writer:
// a frame queued, or the end (Done). It is called from the hub's goroutine and must not block. A
// later call replaces an earlier one.
func (c *Client) Wake(wake func()) {
	c.q.wake.Store(&wake)
	wake()
}

// Backlog hands the writer what the client is owed before any queued frame: the states of its
// snapshot (nil: none asked for), then the frames its resume replays. The writer takes it once,
// before the first [Client.Next].
func (c *Client) Backlog() (snapshot []hass.State, replay []*format.Frame) {
	snapshot, replay = c.snapshot, c.replay
	c.snapshot, c.replay = nil, nil
	return snapshot, replay
}

// Next appends to dst every frame queued, and to received the receive time of each event among
// them. Calls must not overlap.
func (c *Client) Next(dst []byte, received []time.Time) ([]byte, []time.Time) {
	return c.q.take(dst, received)
}

// Delivered counts the events written to the client at now; received holds when each was read
// from Home Assistant.
func (c *Client) Delivered(now time.Time, received []time.Time) {
	if len(received) == 0 {
		return
	}
	if m := c.hub.cfg.Meter; m != nil {
		m.Delivered(now, received)
	}
	c.q.lastSent.Store(now.UnixNano())
	c.q.sent.Add(int64(len(received))) // last: whoever sees the count sees the rest done
}

// Replayed counts events of the backlog written to the client at now: they count as sent, but
// their delivery latency is no news.
func (c *Client) Replayed(now time.Time, events int) {
	c.q.lastSent.Store(now.UnixNano())
	c.q.sent.Add(int64(events))
}

// Wrote counts n bytes written to the client's connection, as they go; it adds to atomic
// counters only.
func (c *Client) Wrote(n int) {
	c.q.written.Add(int64(n))
	if m := c.hub.cfg.Meter; m != nil {
		m.Wrote(n)
	}
}

// WriteFailed counts a write to the client that failed, carrying events that are lost.
func (c *Client) WriteFailed(events int) {
	if m := c.hub.cfg.Meter; m != nil && events > 0 {
		m.Undelivered(events)
	}
}
