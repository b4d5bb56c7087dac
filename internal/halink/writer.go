package halink

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// request is a command for the writer to send.
type request struct {
	typ   string        // the command's type, for errors
	body  []byte        // the command as a JSON object without "id"; the writer adds it
	reply chan<- reply  // gets the result; buffered, so that the writer never waits on it
	sub   *atomic.Int64 // if set, receives the command's id before it is sent (a subscription)
}

// reply is the outcome of a command.
type reply struct {
	result []byte
	err    error
}

// command sends a command and waits for its result.
func (s *session) command(ctx context.Context, req request) ([]byte, error) {
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: %w", req.typ, context.Cause(ctx))
	}
	ch := make(chan reply, 1)
	req.reply = ch
	select {
	case s.requests <- req:
	case <-s.stopped:
		return nil, ErrNotConnected
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", req.typ, context.Cause(ctx))
	}
	select {
	case r := <-ch:
		return r.result, r.err
	case <-s.stopped:
		return nil, fmt.Errorf("%s: %w", req.typ, ErrNotConnected)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", req.typ, context.Cause(ctx))
	}
}

// write is the session's writer. It alone writes to the connection and numbers commands, so
// that their ids increase in the order Home Assistant receives them (HA-PROTOCOL.md §4); it
// matches replies to the commands awaiting them, and pings every PingInterval, failing when a
// pong does not follow within PongTimeout with nothing read meanwhile: a pong queued behind a big
// frame that is still arriving is not late (progress.go).
func (s *session) write(ctx context.Context) error {
	var (
		id      int64
		pending = make(map[int64]request)
		ticker  = time.NewTicker(s.c.cfg.PingInterval)
		pong    = time.NewTimer(s.c.cfg.PongTimeout)
		pingID  int64 // of the ping awaiting its pong; 0 when none is
		seen    int64 // bytes received when the pong timer last started
		buf     []byte
	)
	defer ticker.Stop()
	pong.Stop()
	send := func(body []byte) error {
		id++
		buf = append(strconv.AppendInt(append(buf[:0], `{"id":`...), id, 10), ',')
		buf = append(buf, body[1:]...)
		wctx, cancel := context.WithTimeout(ctx, s.c.cfg.PongTimeout)
		defer cancel()
		if err := s.ws.Write(wctx, websocket.MessageText, buf); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
	for {
		select {
		case req := <-s.requests:
			if req.sub != nil {
				req.sub.Store(id + 1)
			}
			if err := send(req.body); err != nil {
				req.reply <- reply{err: err}
				return err
			}
			pending[id] = req
		case m := <-s.replies:
			if m.typ == "pong" && m.id == pingID {
				pong.Stop()
				pingID = 0
			}
			req, ok := pending[m.id]
			if !ok {
				continue
			}
			delete(pending, m.id)
			r := reply{result: m.result}
			if !m.success {
				r = reply{err: commandError(req.typ, m.err)}
			}
			req.reply <- r
		case <-ticker.C:
			if pingID != 0 {
				continue // the pong timer is running
			}
			if err := send([]byte(`{"type":"ping"}`)); err != nil {
				return err
			}
			pingID, seen = id, s.received.Load()
			pong.Reset(s.c.cfg.PongTimeout)
		case <-pong.C:
			if n := s.received.Load(); n != seen { // the pong waits behind data that is arriving
				seen = n
				pong.Reset(s.c.cfg.PongTimeout)
				continue
			}
			return errPongTimeout
		case <-ctx.Done():
			return nil
		}
	}
}
