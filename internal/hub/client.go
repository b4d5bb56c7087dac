package hub

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hass"
)

// Gap reasons (SPEC.md §4.4): why a resume could not replay what the client missed.
const (
	GapUnknownEventID       = "unknown_event_id"
	GapEpochChanged         = "epoch_changed"
	GapReplayWindowExceeded = "replay_window_exceeded"
)

// Why the hub ended a client's stream; [Client.Err] returns one of these.
var (
	ErrSlowConsumer  = errors.New("hub: client queue overflowed")
	ErrShutdown      = errors.New("hub: shutting down")
	ErrClosedByAdmin = errors.New("hub: closed by an administrator")
	ErrUnauthorized  = errors.New("hub: the client's token is no longer valid")
)

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

// Client is one subscriber: its filter, its wire format and the bounded queue the hub fills.
// The exported fields are set at [Hub.Subscribe] and read-only afterwards.
type Client struct {
	ID          string         // connection id, unique within the process
	ClientID    string         // the label the client chose, or one made for it
	User        string         // the user or token name the client authenticated as
	Filter      *filter.Filter // nil: every event
	Scope       *filter.Filter // what the user may see at all; nil: everything
	Format      format.Kind
	Throttle    time.Duration // at most one state_changed per entity per Throttle; 0: all
	ConnectedAt time.Time
	RemoteAddr  string // the client's address, for the statistics tool
	UserAgent   string
	Protocol    string // the request's protocol ("HTTP/1.1", "HTTP/2.0"), for the statistics tool
	TLS         string // the TLS version ("TLS 1.3"); "" for a plain connection
	Resumed     bool   // a Last-Event-ID resume succeeded: Stream replays what was missed first
	Gap         string // why a Last-Event-ID resume failed (a Gap… reason); "" otherwise

	hub      *Hub
	sent     atomic.Int64    // events written to the client
	bytes    atomic.Int64    // bytes written to the client's connection
	lastSent atomic.Int64    // when the last of them was flushed, Unix ns; 0 before one
	replay   []*format.Frame // frames the resume owes the client, written before anything queued
	snapshot []hass.State    // the snapshot owed to the client (nil: none), written first
	q        *queue
	done     chan struct{} // closed by the hub when it ends the client; err is set before
	err      error
	// Owned by Hub.Run.
	seen    uint64             // index generation of the last lookup that considered this client
	lastSeq uint64             // sequence of the newest event queued
	windows map[string]*window // open throttle windows by entity
	held    int                // windows holding a state back
	// Owned by the client's writer.
	finished bool                   // Next has handed out the last words
	abort    atomic.Pointer[func()] // ends a write Stream is blocked in
}

// wants reports whether ev passes the client's filter and its scope. The index finds candidates
// by the filter alone, so a scope costs only on those.
func (c *Client) wants(ev *hass.Event) bool {
	return c.Filter.Match(ev) && c.Scope.Allows(ev)
}

// EventsSent returns how many events have been written to the client.
func (c *Client) EventsSent() int64 { return c.sent.Load() }

// LastEventAt returns when the last event written to the client was flushed; zero before one.
func (c *Client) LastEventAt() time.Time {
	if ns := c.lastSent.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// BytesSent returns how many bytes have been written to the client's connection: what the
// gateway wrote, the transfer coding's framing included where hasse writes it itself.
func (c *Client) BytesSent() int64 { return c.bytes.Load() }

// Wrote counts n bytes written to the client's connection. A writer that is not Stream calls it
// for every write; it adds to atomic counters only.
func (c *Client) Wrote(n int) {
	c.bytes.Add(int64(n))
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

// QueuedBytes returns the bytes waiting in the client's queue.
func (c *Client) QueuedBytes() int { return c.q.pending() }

// QueuedEvents returns the frames (events and control events) waiting in the client's queue.
func (c *Client) QueuedEvents() int { return c.q.events() }

// Done is closed when the hub has ended the client (it was too slow, or the hub is stopping).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err says why the hub ended the client: [ErrSlowConsumer], [ErrShutdown], [ErrClosedByAdmin] or
// [ErrUnauthorized]; nil before Done.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Close unregisters the client. The goroutine streaming the client calls it once, when the
// stream ends for any reason; it returns at once if the hub has stopped.
func (c *Client) Close() {
	select {
	case c.hub.leaves <- c:
	case <-c.hub.stopped:
	}
}

// Output is where a client's stream is written: an HTTP response reached through its
// http.ResponseController.
type Output interface {
	Write(p []byte) (int, error)
	Flush() error
	SetWriteDeadline(deadline time.Time) error
}

// Stream writes the client's frames to out until ctx ends (the client went away), a write fails,
// or the hub ends the client. Everything queued goes out in one write and one flush; a
// keep-alive goes out when nothing else has for the hub's keep-alive interval. Each write must
// complete within the hub's write timeout. Stream returns nil when the hub ended the client.
func (c *Client) Stream(ctx context.Context, out Output) error {
	cfg := c.hub.cfg
	keepAlive := time.NewTimer(cfg.KeepAlive)
	defer keepAlive.Stop()
	c.AbortOnDrop(func() { _ = out.SetWriteDeadline(time.Now()) })
	if err := c.WriteBacklog(out); err != nil {
		return err
	}
	var buf []byte
	var received []time.Time // of the events in buf
	for {
		select {
		case <-c.done: // before anything queued: a dropped client gets its error, not its backlog
			buf, _, _ = c.Next(buf[:0], nil)
			if write(out, buf, cfg.FinalWriteTimeout) == nil {
				c.Wrote(len(buf))
			}
			return nil
		default:
		}
		select {
		case <-c.q.ready:
			buf, received, _ = c.Next(buf[:0], received[:0])
		case <-keepAlive.C:
			buf, received = c.AppendKeepAlive(buf[:0], time.Now()), received[:0]
		case <-c.done:
			continue // the first select writes the last words
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(buf) == 0 { // a wake-up for frames an earlier take already wrote
			continue
		}
		if err := write(out, buf, cfg.WriteTimeout); err != nil {
			c.WriteFailed(len(received))
			return err
		}
		c.Wrote(len(buf))
		c.Delivered(time.Now(), received)
		keepAlive.Reset(cfg.KeepAlive)
	}
}

// AbortOnDrop has abort called, on a goroutine of its own, when the hub drops the client for not
// keeping up: it should end a write the client's writer may be blocked in. Stream sets its own;
// another writer sets one before it writes the backlog.
func (c *Client) AbortOnDrop(abort func()) { c.abort.Store(&abort) }

// abortWrite ends the write the client's writer may be blocked in, for a client dropped for not
// reading: its slot is free, and its goroutine and buffers should be too, without waiting for
// the write timeout. It runs on a goroutine of its own, as the deadline may take a while to set.
func (c *Client) abortWrite() {
	if abort := c.abort.Load(); abort != nil {
		go (*abort)()
	}
}

// WriteBacklog writes what the client is owed before any queued frame: its snapshot, then the
// events its resume replays. A writer that is not Stream calls it once, before [Client.Attach].
func (c *Client) WriteBacklog(out Output) error {
	timeout := c.hub.cfg.WriteTimeout
	if c.snapshot != nil {
		snap := appendSnapshot(nil, c.Format, c.snapshot)
		err := write(out, snap, timeout)
		c.snapshot = nil
		if err != nil {
			return err
		}
		c.Wrote(len(snap))
	}
	var buf []byte
	for len(c.replay) > 0 {
		var n int
		buf, n = c.takeReplay(buf[:0], replayBatch)
		if err := write(out, buf, timeout); err != nil {
			c.WriteFailed(n + len(c.replay))
			return err
		}
		c.Wrote(len(buf))
		c.lastSent.Store(time.Now().UnixNano())
		c.sent.Add(int64(n))
	}
	return nil
}

// Attach hands the client to a writer other than Stream, which calls [Client.Next] whenever wake
// is called. wake is called once at once, then whenever there is something new, from the hub's
// goroutine: it must not block.
func (c *Client) Attach(wake func()) {
	c.q.wake.Store(&wake)
	wake()
}

// Next appends to dst what the client's connection is owed now: every frame queued, with the
// receive time of each event among them appended to received. Once the hub has ended the
// client it appends the client's last words instead, once, and reports final. Calls must not
// overlap.
func (c *Client) Next(dst []byte, received []time.Time) (_ []byte, _ []time.Time, final bool) {
	select {
	case <-c.done:
		if !c.finished {
			c.finished = true
			dst = c.appendLastWords(dst)
		}
		return dst, received, true
	default:
	}
	dst, received = c.q.take(dst, received)
	return dst, received, false
}

// AppendKeepAlive appends a keep-alive in the client's format.
func (c *Client) AppendKeepAlive(dst []byte, now time.Time) []byte {
	return format.AppendKeepAlive(dst, c.Format, now)
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
	c.lastSent.Store(now.UnixNano())
	c.sent.Add(int64(len(received))) // last: whoever sees the count sees the rest done
}

// replayBatch is about how many bytes of a replay go out in one write.
const replayBatch = 64 << 10

// takeReplay moves about limit bytes of the replay into dst and says how many events it took.
func (c *Client) takeReplay(dst []byte, limit int) ([]byte, int) {
	n := 0
	for n < len(c.replay) && len(dst) < limit {
		dst = append(dst, c.replay[n].Bytes(c.Format)...)
		c.replay[n] = nil
		n++
	}
	c.replay = c.replay[n:]
	return dst, n
}

// appendLastWords appends what the client is owed after the hub ended it: when the hub is
// stopping or an administrator closed it, the frames still queued, a retry hint and a disconnect
// event; an error event when it was too slow (its queue is dropped: it holds a megabyte the
// client is not reading) or its token expired.
func (c *Client) appendLastWords(buf []byte) []byte {
	now := time.Now()
	switch {
	case errors.Is(c.err, ErrSlowConsumer):
		return format.AppendError(buf, c.Format, "slow_consumer", "the client did not keep up with its events", now)
	case errors.Is(c.err, ErrUnauthorized):
		return format.AppendError(buf, c.Format, "unauthorized", "the token is no longer valid", now)
	}
	reason := "server_shutdown"
	if errors.Is(c.err, ErrClosedByAdmin) {
		reason = "closed_by_admin"
	}
	buf, _ = c.q.take(buf, nil)
	buf = format.AppendRetry(buf, jitter(c.hub.cfg.ShutdownRetry))
	return format.AppendDisconnect(buf, c.Format, reason, now)
}

// jitter returns d give or take up to 20 %.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

func write(out Output, buf []byte, timeout time.Duration) error {
	if err := out.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if _, err := out.Write(buf); err != nil {
		return err
	}
	return out.Flush()
}
