package hub

import (
	"context"
	"slices"
)

// Readers outside Run (the statistics tool, administrators) ask it through queries, so that the
// client set keeps its one owner.

// query runs q on Run's goroutine and waits for it; false when the hub is not running.
func (h *Hub) query(ctx context.Context, q func()) bool {
	done := make(chan struct{})
	select {
	case h.queries <- func() { q(); close(done) }:
	case <-h.stopped:
		return false
	case <-ctx.Done():
		return false
	}
	<-done
	return true
}

// List returns the open clients, oldest first. Their exported fields and counters may be read
// from any goroutine.
func (h *Hub) List(ctx context.Context) []*Client {
	var list []*Client
	h.query(ctx, func() {
		list = make([]*Client, 0, len(h.clients))
		for c := range h.clients {
			list = append(list, c)
		}
	})
	slices.SortFunc(list, func(a, b *Client) int { return a.ConnectedAt.Compare(b.ConnectedAt) })
	return list
}

// Disconnect ends the client with connection id id, which gets a disconnect event
// (closed_by_admin). It reports whether there was such a client.
func (h *Hub) Disconnect(ctx context.Context, id string) bool {
	return h.End(ctx, id, ErrClosedByAdmin)
}

// End ends the client with connection id id for reason ([ErrClosedByAdmin], or
// [ErrUnauthorized]: the client gets an error unauthorized event). It reports whether there was
// such a client.
func (h *Hub) End(ctx context.Context, id string, reason error) bool {
	found := false
	h.query(ctx, func() {
		for c := range h.clients {
			if c.ID == id {
				h.end(c, reason)
				found = true
				return
			}
		}
	})
	return found
}
