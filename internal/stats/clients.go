package stats

import (
	"context"
	"time"
)

// The answers about open connections that more than one surface gives (the REST routes, the
// WebSocket API and the MCP tools of SPEC.md §6), built here once.

// WithClients is the answer of seed 2's POST /get_sse_stats: the statistics plus every open
// connection.
type WithClients struct {
	Stats
	Clients []Connection `json:"clients"`
}

// StatsWithClients returns the statistics and every open connection, oldest first.
func (c *Collector) StatsWithClients(ctx context.Context) WithClients {
	conns := []Connection{}
	now, rates := time.Now(), c.latest.Load().rates
	for _, cl := range c.hub.List(ctx) {
		conns = append(conns, c.connection(cl, now, rates))
	}
	return WithClients{c.Stats(ctx), conns}
}

// ConnectionPage is the answer of GET /api/sse/connections: one page of the open connections,
// and how many there are in all.
type ConnectionPage struct {
	Connections []Connection `json:"connections"`
	Total       int          `json:"total"` // connections that match, on every page
	Limit       int          `json:"limit"`
	Offset      int          `json:"offset"`
}

// Connections returns the open connections of user (every user's when ""), oldest first,
// skipping offset of them and returning at most limit.
func (c *Collector) Connections(ctx context.Context, user string, limit, offset int) ConnectionPage {
	page := ConnectionPage{Connections: []Connection{}, Limit: limit, Offset: offset}
	now, rates := time.Now(), c.latest.Load().rates
	for _, cl := range c.hub.List(ctx) {
		if user != "" && cl.User != user {
			continue
		}
		if page.Total >= offset && len(page.Connections) < limit {
			page.Connections = append(page.Connections, c.connection(cl, now, rates))
		}
		page.Total++
	}
	return page
}

// Connection returns the open connection whose id is id, and false when there is none.
func (c *Collector) Connection(ctx context.Context, id string) (Connection, bool) {
	for _, cl := range c.hub.List(ctx) {
		if cl.ID == id {
			return c.connection(cl, time.Now(), c.latest.Load().rates), true
		}
	}
	return Connection{}, false
}
