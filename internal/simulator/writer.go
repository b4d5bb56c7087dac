package simulator

import (
	"context"
	"log/slog"
	"time"

	"github.com/coder/websocket"
)

// message is one message for a client. alone ones are never coalesced with others (the junk of
// SendMalformed must spoil no other message).
type message struct {
	b     []byte
	alone bool
}

// maxPending is how many messages may wait for a connection's writer before the client is
// dropped as too slow (HA's MAX_PENDING_MSG, HA-PROTOCOL.md §18).
const maxPending = 4096

// A client with more than pendingPeak messages waiting is dropped when, pendingPeakTime later,
// pendingPeak or more still wait (HA's PENDING_MSG_PEAK and PENDING_MSG_PEAK_TIME).
const (
	pendingPeak     = 1024
	pendingPeakTime = 10 * time.Second
)

// flush hands the messages queued during this turn to c's writer without ever blocking: a client
// with maxPending messages waiting is dropped instead. Called on Run's goroutine only.
func (c *conn) flush() {
	batch := c.turn
	c.turn = nil
	if c.dropped || len(batch) == 0 {
		return
	}
	n := c.pending.Add(int64(len(batch)))
	if n >= maxPending {
		c.drop(n)
		return
	}
	if n > pendingPeak {
		c.watchPeak()
	}
	select {
	case c.out <- batch:
	default: // unreachable while pending counts right: out holds at most one batch per message
		c.drop(c.pending.Load())
	}
}

// drop ends a connection whose client cannot keep up.
func (c *conn) drop(pending int64) {
	c.dropped = true
	c.log.LogAttrs(context.Background(), slog.LevelWarn, "client unable to keep up with pending messages",
		slog.Int64("pending", pending))
	c.cancel()
}

// writeLoop is c's writer goroutine: it writes what flush hands it, in order, until ctx ends or a
// write fails. Everything waiting when it wakes goes out at once: as one JSON array frame when the
// client asked for coalesce_messages and there is more than one message, else one frame each.
func (c *conn) writeLoop(ctx context.Context) {
	for {
		var batch []message
		select {
		case <-ctx.Done():
			return
		case <-c.bye: // HA going down: a normal close, whatever is still queued
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
			c.cancel()
			return
		case batch = <-c.out:
		}
	drain:
		for {
			select {
			case more := <-c.out:
				batch = append(batch, more...)
			default:
				break drain
			}
		}
		if err := c.write(ctx, batch); err != nil {
			c.log.LogAttrs(ctx, slog.LevelDebug, "write failed", slog.Any("err", err))
			c.cancel()
			return
		}
		c.pending.Add(-int64(len(batch)))
	}
}

// write writes a batch: all as one array frame when the client asked for coalescing (but alone
// messages, each in a frame of its own), else one frame each.
func (c *conn) write(ctx context.Context, batch []message) error {
	for len(batch) > 0 {
		n := 1
		if c.coalesce.Load() && !batch[0].alone {
			for n < len(batch) && !batch[n].alone {
				n++
			}
		}
		if err := c.writeFrame(ctx, batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// writeFrame writes one message as it is, or several as one JSON array frame.
func (c *conn) writeFrame(ctx context.Context, msgs []message) error {
	if len(msgs) == 1 {
		return c.ws.Write(ctx, websocket.MessageText, msgs[0].b)
	}
	size := len(msgs) + 1
	for _, m := range msgs {
		size += len(m.b)
	}
	frame := make([]byte, 0, size)
	frame = append(frame, '[')
	for i, m := range msgs {
		if i > 0 {
			frame = append(frame, ',')
		}
		frame = append(frame, m.b...)
	}
	frame = append(frame, ']')
	return c.ws.Write(ctx, websocket.MessageText, frame)
}
