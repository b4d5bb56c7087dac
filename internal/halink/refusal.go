package halink

import (
	"context"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// RefusalCountWait bounds the wait for Home Assistant to close a connection whose token it
// refused, and so [Client.ClearFailedLogins]'s wait for it. HA closes it only once it has
// counted the failed login, after a reverse DNS lookup of hasse's address that can take seconds
// on a host with a slow resolver.
const RefusalCountWait = 30 * time.Second

// refusals tracks the connections Home Assistant has refused a token on and not yet closed.
// Home Assistant counts a failed login after it sends auth_invalid and closes the connection
// only then (HA-PROTOCOL.md §19), so a login meant to reset that count must wait for the close:
// one made as soon as auth_invalid arrives can run before the count and reset nothing.
type refusals struct {
	mu      sync.Mutex
	pending int           // refused connections still open
	idle    chan struct{} // closed while pending is 0; replaced when it becomes 1
}

func newRefusals() *refusals {
	r := &refusals{idle: make(chan struct{})}
	close(r.idle)
	return r
}

// track takes ownership of ws, on which auth_invalid was just read: it waits in a goroutine of
// its own until Home Assistant closes ws, or RefusalCountWait passes, and then closes it.
func (r *refusals) track(ws *websocket.Conn) {
	r.mu.Lock()
	if r.pending == 0 {
		r.idle = make(chan struct{})
	}
	r.pending++
	r.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), RefusalCountWait)
		defer cancel()
		for {
			if _, _, err := ws.Read(ctx); err != nil { // HA's close frame, EOF or the bound
				break
			}
		}
		ws.CloseNow()
		r.mu.Lock()
		if r.pending--; r.pending == 0 {
			close(r.idle)
		}
		r.mu.Unlock()
	}()
}

// counted waits until every refused connection tracked so far has been closed: until Home
// Assistant has counted each failed login. It returns ctx's error if ctx ends first.
func (r *refusals) counted(ctx context.Context) error {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
