package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// readLimit is the largest client frame read, aiohttp's default that HA keeps (4 MiB).
const readLimit = 4 << 20

// conn is one WebSocket client. Its reader is the ServeHTTP goroutine, which also owns the
// connection's end; its writer is a goroutine of its own; its command state belongs to Run's
// goroutine.
type conn struct {
	sim    *Simulator
	ws     *websocket.Conn
	log    *slog.Logger
	cancel context.CancelFunc // ends the connection; safe from any goroutine
	remote netip.Addr         // the client's address, for bans
	user   *user              // set once, by the reader, before the first command reaches Run
	wire   *wire              // the socket, for faults; safe from any goroutine

	// Owned by Run's goroutine.
	lastID  int64                   // the last command id accepted
	subs    map[int64]*subscription // by the id of the command that made them
	turn    []message               // messages queued during the current turn
	dropped bool                    // dropped as too slow, or cut off by a fault: gets nothing more
	saidBye bool                    // bye is closed

	// Shared by Run's goroutine and the connection's goroutines.
	out      chan []message // batches for the writer; never full while pending < maxPending
	pending  atomic.Int64   // messages handed to the writer and not yet written
	coalesce atomic.Bool    // the client sent supported_features with coalesce_messages
	commands atomic.Bool    // authenticated: in the command phase
	bye      chan struct{}  // closed by Run: the writer ends the connection with a normal close
	activity chan struct{}  // a frame came in (for the heartbeat); holds at most one
	peak     atomic.Bool    // a check of the pending-message peak is due (watchPeak)
}

// watchPeak checks, pendingPeakTime from now, that the peak of pending messages has passed, and
// ends the connection if pendingPeak or more still wait, as HA does for a client that cannot
// keep up for long. One check at a time; safe from any goroutine.
func (c *conn) watchPeak() {
	if !c.peak.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(pendingPeakTime, func() {
		c.peak.Store(false)
		if n := c.pending.Load(); n >= pendingPeak {
			c.log.LogAttrs(context.Background(), slog.LevelError, "client unable to keep up with pending messages",
				slog.Int("peak", pendingPeak), slog.Int64("pending", n))
			c.cancel()
		}
	})
}

// serveWebSocket runs one client connection at /api/websocket until it ends, Run stops, or the
// client is dropped. All the connection's goroutines have exited when it returns.
func (s *Simulator) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c := &conn{
		sim:    s,
		log:    s.log.With(slog.String("remote_addr", r.RemoteAddr)),
		cancel: cancel,
		remote: remoteAddr(r),
		subs:   make(map[int64]*subscription),
		out:    make(chan []message, maxPending),
		wire:   newWire(&s.throttle),

		bye:      make(chan struct{}),
		activity: make(chan struct{}, 1),
	}
	if !s.do(ctx, func(h *home) { h.join(c) }) {
		plainError(w, http.StatusServiceUnavailable, "503: Service Unavailable")
		return
	}
	defer s.conns.Done()
	defer s.do(context.Background(), func(h *home) { h.leave(c) })

	// Home Assistant checks no Origin: browsers on any page may connect, as to HA itself.
	ws, err := websocket.Accept(hijacker{w, c.wire}, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the request
	}
	ws.SetReadLimit(readLimit)
	c.ws = ws
	c.serve(ctx)
}

// serve authenticates the client, then reads its commands while the writer goroutine sends and
// the heartbeat goroutine pings a quiet client.
func (c *conn) serve(ctx context.Context) {
	u, ok := c.authenticate(ctx)
	if !ok {
		return
	}
	c.user = u
	c.log = c.log.With(slog.String("user", u.name))
	c.log.Debug("client authenticated")
	c.commands.Store(true)

	wctx, stopWriter := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { c.writeLoop(wctx) })
	wg.Go(func() { c.heartbeat(wctx, c.sim.heartbeat) })
	graceful := c.readLoop(ctx)
	stopWriter()
	wg.Wait()
	if graceful {
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
	} else {
		_ = c.ws.CloseNow()
	}
	c.log.Debug("client disconnected")
}

// readLoop reads frames and has Run's goroutine handle each, in order. It reports whether the
// connection should end with a normal close (the client broke the protocol) rather than at once
// (it went away, was dropped, or Run stopped).
func (c *conn) readLoop(ctx context.Context) (graceful bool) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return false
		}
		select {
		case c.activity <- struct{}{}:
		default:
		}
		if typ == websocket.MessageBinary {
			continue // HA routes binary frames to streaming handlers; the simulator has none
		}
		v, err := parseJSON(data)
		if err != nil {
			c.log.Debug("received invalid JSON")
			return true
		}
		msgs, ok := v.([]any) // a frame may carry a batch of commands
		if !ok {
			msgs = []any{v}
		}
		if !c.sim.do(ctx, func(h *home) { h.handleFrame(c, msgs) }) {
			return false
		}
	}
}

// errTrailingData reports a frame holding more than one JSON value.
var errTrailingData = errors.New("trailing data after JSON value")

// parseJSON decodes a text frame: exactly one JSON value. Numbers stay json.Number, so that 5 and
// 5.0 differ as they do for HA.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errTrailingData
	}
	return v, nil
}
