package httpapi

import (
	"context"
	"net/http"
	"time"
)

// slots bounds how many requests of a kind are served at once: a request enters when a slot is
// free, waits in line otherwise, and is refused when none frees up in time. Its zero capacity is
// not used; New makes it.
type slots chan struct{}

// enter takes a slot, waiting up to wait for one. It returns the function that gives the slot
// back; it fails with 503 SERVICE_OVERLOADED when no slot freed up in time or the server began to
// stop (stop ended), and with ctx's error when the client went away meanwhile.
func (s slots) enter(ctx, stop context.Context, wait time.Duration) (release func(), err error) {
	select {
	case s <- struct{}{}:
		return s.leave, nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return s.leave, nil
	case <-t.C:
		return nil, &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "the gateway is answering as many MCP requests as it may; try again shortly", time.Second}
	case <-stop.Done():
		return nil, &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "the gateway is shutting down", 3 * time.Second}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s slots) leave() { <-s }
