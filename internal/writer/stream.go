package writer

import (
	"context"
	"sync/atomic"
	"time"

	"hasse/internal/format"
)

// Output is where a goroutine writes a stream: an HTTP response reached through its
// http.ResponseController, or a hijacked connection's chunked body.
type Output interface {
	Write(p []byte) (int, error)
	Flush() error
	SetWriteDeadline(deadline time.Time) error
}

// Stream writes src to out on the calling goroutine, its backlog first, until ctx ends (the
// client went away), a write fails, or the hub ends src: then it writes src's last words and
// returns nil. Everything queued goes out in one write and one flush; a keep-alive goes out when
// nothing else has for Config.KeepAlive. Each write must complete within Config.WriteTimeout, the
// last words within Config.FinalWriteTimeout. The caller closes src.
func (w *Writer) Stream(ctx context.Context, src Source, out Output) error {
	cfg := w.cfg
	keepAlive := time.NewTimer(cfg.KeepAlive)
	defer keepAlive.Stop()
	ready := make(chan struct{}, 1) // holds a token while src has something new
	src.Wake(wakeOrAbort(src, ready, func() { _ = out.SetWriteDeadline(time.Now()) }))
	if err := w.writeBacklog(src, out); err != nil {
		return err
	}
	done := src.Done()
	var buf []byte
	var received []time.Time // of the events in buf
	for {
		select {
		case <-done: // before anything queued: a dropped client gets its error, not its backlog
			buf = appendLastWords(buf[:0], src, cfg.ShutdownRetry, time.Now())
			if write(out, buf, cfg.FinalWriteTimeout) == nil {
				src.Wrote(len(buf))
			}
			return nil
		default:
		}
		select {
		case <-ready:
			buf, received = src.Next(buf[:0], received[:0])
		case <-keepAlive.C:
			buf, received = format.AppendKeepAlive(buf[:0], src.Kind(), time.Now()), received[:0]
		case <-done:
			continue // the first select writes the last words
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(buf) == 0 { // a wake-up for frames an earlier take already wrote
			continue
		}
		if err := write(out, buf, cfg.WriteTimeout); err != nil {
			src.WriteFailed(len(received))
			return err
		}
		src.Wrote(len(buf))
		src.Delivered(time.Now(), received)
		keepAlive.Reset(cfg.KeepAlive)
	}
}

// wakeOrAbort returns a wake-up for a stream a goroutine writes: it puts a token in ready (if
// not nil), and when the hub has dropped src for not keeping up, it has abort end the write the
// goroutine may be blocked in: the client's slot is free, and the goroutine and its buffers
// should be too, without waiting for the write timeout. abort runs on a goroutine of its own, as
// a deadline may take a while to set, and once.
func wakeOrAbort(src Source, ready chan struct{}, abort func()) func() {
	var aborted atomic.Bool
	aborted.Store(dropped(src)) // dropped before a write began: there is none to end
	return func() {
		if ready != nil {
			select {
			case ready <- struct{}{}:
			default:
			}
		}
		if dropped(src) && aborted.CompareAndSwap(false, true) {
			go abort()
		}
	}
}

// writeBacklog writes what src is owed before any queued frame: its snapshot, then the events its
// resume replays, in batches.
func (w *Writer) writeBacklog(src Source, out Output) error {
	k := src.Kind()
	snapshot, replay := src.Backlog()
	if snapshot != nil {
		snap := AppendSnapshot(nil, k, snapshot)
		if err := write(out, snap, w.cfg.WriteTimeout); err != nil {
			return err
		}
		src.Wrote(len(snap))
	}
	var buf []byte
	for len(replay) > 0 {
		var n int
		buf, replay, n = takeReplay(buf[:0], k, replay, replayBatch)
		if err := write(out, buf, w.cfg.WriteTimeout); err != nil {
			src.WriteFailed(n + len(replay))
			return err
		}
		src.Wrote(len(buf))
		src.Replayed(time.Now(), n)
	}
	return nil
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

// Stream writes src to out on the calling goroutine as a Writer with the default Config does
// ([Writer.Stream]).
func Stream(ctx context.Context, src Source, out Output) error {
	w, _ := New(Config{}) // the defaults are valid
	return w.Stream(ctx, src, out)
}
