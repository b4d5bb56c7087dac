package halink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Set-up deadlines grow while data arrives: on a slow host or a remote link a big home's
// get_states (megabytes in one frame) can take far longer than any fixed budget to arrive, and a
// connection cut off for it would download it again on every attempt, forever. So set-up fails
// only when Home Assistant has sent nothing for a whole HandshakeTimeout, and a pong is late only
// when nothing at all came meanwhile (it waits in Home Assistant's queue behind that frame).

// errSilent is Home Assistant sending nothing for too long while hasse waits for a reply.
var errSilent = errors.New("home assistant sent nothing")

// readChunk bounds each read of a message's payload, so that progress is seen every readChunk
// bytes: the WebSocket library fills a read buffer whole before returning it.
const readChunk = 32 << 10

// progressReader counts what is read through it into the session's received bytes.
type progressReader struct {
	r io.Reader
	s *session
}

func (p progressReader) Read(b []byte) (int, error) {
	if len(b) > readChunk {
		b = b[:readChunk]
	}
	n, err := p.r.Read(b)
	p.s.received.Add(int64(n))
	return n, err
}

// whileProgress returns a context that ends, with a cause wrapping errSilent, once nothing has
// been read from the connection for quiet; every byte read moves that deadline on. Its cancel
// func must be called.
func (s *session) whileProgress(ctx context.Context, quiet time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watch{seen: s.received.Load()}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t = time.AfterFunc(quiet, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if n := s.received.Load(); n != w.seen {
			w.seen = n
			w.t.Reset(quiet)
			return
		}
		cancel(fmt.Errorf("%w for %v", errSilent, quiet))
	})
	return ctx, func() {
		w.mu.Lock()
		w.t.Stop()
		w.mu.Unlock()
		cancel(context.Canceled)
	}
}

// watch is whileProgress's timer and the count of bytes it last saw.
type watch struct {
	mu   sync.Mutex
	t    *time.Timer
	seen int64
}
