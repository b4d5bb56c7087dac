package stats

import (
	"context"
	"errors"
	"time"

	"hasse/internal/filter"
	"hasse/internal/hub"
)

// Close reasons of a [Closed] connection.
const (
	ReasonClientClosed   = "client_closed"
	ReasonSlowConsumer   = "slow_consumer"
	ReasonClosedByAdmin  = "closed_by_admin"
	ReasonServerShutdown = "server_shutdown"
	numReasons           = 4
)

var reasons = [numReasons]string{ReasonClientClosed, ReasonSlowConsumer, ReasonClosedByAdmin, ReasonServerShutdown}

func reasonOf(err error) int {
	switch {
	case errors.Is(err, hub.ErrSlowConsumer):
		return 1
	case errors.Is(err, hub.ErrClosedByAdmin):
		return 2
	case errors.Is(err, hub.ErrShutdown):
		return 3
	}
	return 0
}

// Connection is one open SSE connection as the statistics tool shows it (SPEC.md §6.1).
type Connection struct {
	ID            string                `json:"id"`
	ClientID      string                `json:"client_id"`
	UserID        string                `json:"user_id"`
	ConnectedAt   time.Time             `json:"connected_at"`
	LastEventAt   *time.Time            `json:"last_event_at"` // null before the first event
	EventsSent    int64                 `json:"events_sent"`
	Subscriptions []filter.Subscription `json:"subscriptions"`
	State         string                `json:"state"` // active, or closing once the hub ended it
	IPAddress     string                `json:"ip_address"`
	UserAgent     string                `json:"user_agent"`
	Format        string                `json:"format"`
	QueuedEvents  int                   `json:"queued_events"`
	QueuedBytes   int                   `json:"queued_bytes"`
}

// ConnectionOf describes c now.
func ConnectionOf(c *hub.Client) Connection {
	conn := Connection{
		ID:            c.ID,
		ClientID:      c.ClientID,
		UserID:        c.User,
		ConnectedAt:   c.ConnectedAt.UTC(),
		EventsSent:    c.EventsSent(),
		Subscriptions: c.Filter.Subscriptions(),
		State:         "active",
		IPAddress:     c.RemoteAddr,
		UserAgent:     c.UserAgent,
		Format:        c.Format.String(),
		QueuedEvents:  c.QueuedEvents(),
		QueuedBytes:   c.QueuedBytes(),
	}
	if t := c.LastEventAt(); !t.IsZero() {
		t = t.UTC()
		conn.LastEventAt = &t
	}
	if c.Err() != nil {
		conn.State = "closing"
	}
	return conn
}

// Closed is a connection that has ended, for the history route.
type Closed struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"client_id"`
	UserID      string    `json:"user_id"`
	ConnectedAt time.Time `json:"connected_at"`
	ClosedAt    time.Time `json:"closed_at"`
	Duration    float64   `json:"duration"` // seconds
	EventsSent  int64     `json:"events_sent"`
	Reason      string    `json:"reason"`
	IPAddress   string    `json:"ip_address"`
	UserAgent   string    `json:"user_agent"`
}

// Closed tells the collector that the hub has unregistered cl; New has the hub call it, on the
// hub's goroutine. It never blocks: cl is recorded on the collector's goroutine.
func (c *Collector) Closed(cl *hub.Client) {
	c.endedMu.Lock()
	c.ended = append(c.ended, cl)
	c.endedMu.Unlock()
	c.Notice()
}

// reconcile looks at the hub's open clients and records the closed ones. It returns the events
// queued to the open clients, and false when the hub is not running.
func (c *Collector) reconcile(ctx context.Context) (backlog int, ok bool) {
	list := c.hub.List(ctx)
	if list == nil { // List gives nil only when the hub is not running; an empty hub is []
		return 0, false
	}
	c.peak = max(c.peak, len(list))
	for _, cl := range list {
		backlog += cl.QueuedEvents()
	}
	c.recordEnded()
	return backlog, true
}

// recordEnded records the clients the hub has unregistered since the last look.
func (c *Collector) recordEnded() {
	c.endedMu.Lock()
	ended := c.ended
	c.ended = nil
	c.endedMu.Unlock()
	if len(ended) == 0 {
		return
	}
	now := time.Now()
	closed := make([]Closed, 0, len(ended))
	for _, cl := range ended {
		closed = append(closed, c.recordClosed(cl, now))
	}
	if h := c.cfg.History; h != nil && c.storeErr == nil {
		if err := h.SaveClosed(closed); err != nil {
			c.storeFailed("save closed connections", err)
		}
	}
}

func (c *Collector) recordClosed(cl *hub.Client, now time.Time) Closed {
	r := reasonOf(cl.Err())
	c.closes[r].Add(1)
	rec := Closed{
		ID:          cl.ID,
		ClientID:    cl.ClientID,
		UserID:      cl.User,
		ConnectedAt: cl.ConnectedAt.UTC(),
		ClosedAt:    now.UTC(),
		Duration:    now.Sub(cl.ConnectedAt).Seconds(),
		EventsSent:  cl.EventsSent(),
		Reason:      reasons[r],
		IPAddress:   cl.RemoteAddr,
		UserAgent:   cl.UserAgent,
	}
	if len(c.closed) >= c.cfg.ClosedKept {
		c.closed = append(c.closed[:0], c.closed[len(c.closed)-c.cfg.ClosedKept+1:]...)
	}
	c.closed = append(c.closed, rec)
	return rec
}
