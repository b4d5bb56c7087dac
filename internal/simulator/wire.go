package simulator

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// This file is a connection's socket as the faults and the heartbeat see it, below the
// WebSocket library: the simulator wraps the hijacked net.Conn so that a stall can hold its
// reads and writes with the socket still open, and a drop can reset it.

// heartbeat is how long a connection may stay silent before HA's server pings it (aiohttp's
// heartbeat=55); the pong must come within half of it, else the connection is closed.
const heartbeat = 55 * time.Second

// wire is the state of one connection's socket. Its methods are safe for concurrent use; mu
// guards a few fields for a few lines, never across I/O.
type wire struct {
	closed    chan struct{} // closed when the socket is closed
	closeOnce sync.Once
	rate      *atomic.Int64 // Throttle's bytes per second, shared by every connection; ≤ 0: no limit

	mu      sync.Mutex
	nc      net.Conn      // nil until the WebSocket upgrade hijacks the connection
	reset   bool          // reset before the upgrade: close the socket as soon as it comes
	stalled chan struct{} // non-nil while stalled; closed when the stall ends
	timer   *time.Timer   // ends the stall
}

func newWire(rate *atomic.Int64) *wire { return &wire{closed: make(chan struct{}), rate: rate} }

// attach takes the hijacked socket and returns the net.Conn the WebSocket library must use.
func (w *wire) attach(nc net.Conn) net.Conn {
	w.mu.Lock()
	w.nc = nc
	reset := w.reset
	w.mu.Unlock()
	wc := &wireConn{Conn: nc, w: w}
	if reset {
		w.resetNow(nc)
	}
	return wc
}

// resetConn closes the socket at once; on TCP with SO_LINGER 0, so the peer gets a RST rather
// than an orderly FIN. A socket not yet hijacked is reset as it arrives.
func (w *wire) resetConn() {
	w.mu.Lock()
	nc := w.nc
	w.reset = nc == nil
	w.mu.Unlock()
	if nc != nil {
		w.resetNow(nc)
	}
}

func (w *wire) resetNow(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	w.close()
	_ = nc.Close()
}

func (w *wire) close() {
	w.closeOnce.Do(func() { close(w.closed) })
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
}

// stall holds the socket's reads and writes for d (d ≤ 0: until it closes), leaving it open: the
// peer's messages and pings go unanswered, its TCP stack keeps accepting bytes. A second stall
// replaces the first's end.
func (w *wire) stall(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stalled == nil {
		w.stalled = make(chan struct{})
	}
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if d > 0 {
		w.timer = time.AfterFunc(d, w.resume)
	}
}

func (w *wire) resume() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stalled != nil {
		close(w.stalled)
		w.stalled = nil
	}
}

func (w *wire) isStalled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stalled != nil
}

// wait returns when the socket is not stalled, or net.ErrClosed once it is closed.
func (w *wire) wait() error {
	w.mu.Lock()
	ch := w.stalled
	w.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-w.closed:
		return net.ErrClosed
	}
}

// wireConn is the hijacked socket as the WebSocket library sees it. Read holds what it read
// while stalled (so the library answers no ping); Write waits before writing.
type wireConn struct {
	net.Conn
	w *wire
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		return n, err // the peer went away: nothing to hold back
	}
	if werr := c.w.wait(); werr != nil {
		return 0, werr
	}
	return n, nil
}

func (c *wireConn) Write(p []byte) (int, error) {
	if err := c.w.wait(); err != nil {
		return 0, err
	}
	rate := c.w.rate.Load()
	if rate <= 0 {
		return c.Conn.Write(p)
	}
	written := 0
	for len(p) > 0 { // a tenth of a second's worth at a time, each arriving once sent at the rate
		n := min(len(p), int(max(rate/10, 1)))
		time.Sleep(time.Duration(n) * time.Second / time.Duration(rate))
		m, err := c.Conn.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
		if rate = c.w.rate.Load(); rate <= 0 {
			m, err := c.Conn.Write(p)
			return written + m, err
		}
	}
	return written, nil
}

func (c *wireConn) Close() error {
	c.w.close()
	return c.Conn.Close()
}

// hijacker hands the WebSocket library the wrapped socket when it hijacks the connection.
type hijacker struct {
	http.ResponseWriter
	w *wire
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	wc := h.w.attach(nc)
	if err := brw.Writer.Flush(); err != nil { // empty after Hijack; written through wc from now on
		_ = wc.Close()
		return nil, nil, err
	}
	brw.Writer.Reset(wc)
	return wc, brw, nil
}

func (h hijacker) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// heartbeat pings the client after every quiet spell of every (heartbeat, unless tests change
// it), as aiohttp does for HA: any frame from the client restarts the spell. A ping whose pong
// does not come within every/2 ends the connection abruptly. A stalled connection is not pinged.
func (c *conn) heartbeat(ctx context.Context, every time.Duration) {
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.activity:
			t.Reset(every)
			continue
		case <-t.C:
		}
		if c.wire.isStalled() {
			t.Reset(every)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, every/2)
		err := c.ws.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil && !c.wire.isStalled() {
			c.log.LogAttrs(ctx, slog.LevelWarn, "no pong to heartbeat, closing", slog.Any("err", err))
			c.cancel()
			return
		}
		t.Reset(every)
	}
}
