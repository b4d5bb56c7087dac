package httpapi

import (
	"context"
	"net"
	"net/http"
	"sync"
)

// stoppingKey carries Serve's own context in every request's context, whose cancellation it does
// not inherit: streams must outlive it until the hub says goodbye, but what waits on a client
// (a body that does not come) or in line (an MCP slot) must not hold the shutdown up.
type stoppingKey struct{}

// stopping returns the context that ends when the server begins to stop; never, for a request
// served outside Serve.
func stopping(r *http.Request) context.Context {
	if ctx, ok := r.Context().Value(stoppingKey{}).(context.Context); ok {
		return ctx
	}
	return context.Background()
}

// newConns tracks the connections that have not finished a request's head: net/http's Shutdown
// waits up to 5 s for them (then takes them for idle), and longer while a slow head still trickles
// in. Serve closes them as it begins to stop. Its mutex guards the map for a few lines.
type newConns struct {
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	stopped bool
}

// track is an http.Server.ConnState hook.
func (n *newConns) track(c net.Conn, st http.ConnState) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case st == http.StateNew && n.stopped:
		c.Close()
	case st == http.StateNew:
		n.conns[c] = struct{}{}
	default:
		delete(n.conns, c)
	}
}

// closeAll closes every connection that has not finished a request's head, and those that come.
func (n *newConns) closeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopped = true
	for c := range n.conns {
		c.Close()
	}
	clear(n.conns)
}
