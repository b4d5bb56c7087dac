package stats

import (
	"context"
	"errors"
	"time"

	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hub"
)

// Close reasons of a [Closed] connection: the client went away, or the word the gateway ended
// the stream with (SPEC.md §4.4).
const (
	ReasonClientClosed   = "client_closed"
	ReasonSlowConsumer   = string(format.ErrorSlowConsumer)
	ReasonClosedByAdmin  = string(format.DisconnectClosedByAdmin)
	ReasonServerShutdown = string(format.DisconnectServerShutdown)
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

// Connection is one open SSE connection as the statistics tool shows it (SPEC.md §6.1): seed
// 1's fields, then extras.
type Connection struct {
	ID             string                   `json:"id"`
	ClientID       string                   `json:"client_id"`
	UserID         string                   `json:"user_id"`
	ConnectedAt    time.Time                `json:"connected_at"`
	LastEventAt    *time.Time               `json:"last_event_at"` // null before the first event
	EventsSent     int64                    `json:"events_sent"`
	Subscriptions  []filter.SubscriptionRow `json:"subscriptions"`
	State          string                   `json:"state"` // active, or closing once the hub ended it
	IPAddress      string                   `json:"ip_address"`
	UserAgent      string                   `json:"user_agent"`
	Format         string                   `json:"format"`
	QueuedEvents   int                      `json:"queued_events"`
	QueuedBytes    int                      `json:"queued_bytes"`
	Duration       float64                  `json:"duration"` // seconds open so far
	Protocol       string                   `json:"protocol"` // HTTP/1.1, HTTP/2.0
	TLS            bool                     `json:"tls"`      // over HTTPS
	TLSVersion     string                   `json:"tls_version,omitempty"`
	BytesSent      int64                    `json:"bytes_sent"`        // written to the connection so far
	BytesPerSecond float64                  `json:"bytes_per_second"`  // over the last sampling interval; since connecting when younger
	Network        string                   `json:"network"`           // loopback, private, link-local, public, other
	IPVersion      string                   `json:"ip_version"`        // IPv4, IPv6
	Country        string                   `json:"country,omitempty"` // ISO code, with a geographic database that knows the address
	City           string                   `json:"city,omitempty"`
}

// connection describes cl now; rates are the bytes per second of the last sample.
func (c *Collector) connection(cl *hub.Client, now time.Time, rates map[*hub.Client]float64) Connection {
	place := c.placeOf(cl.RemoteAddr)
	conn := Connection{
		ID:            cl.ID,
		ClientID:      cl.ClientID,
		UserID:        cl.User,
		ConnectedAt:   cl.ConnectedAt.UTC(),
		EventsSent:    cl.EventsSent(),
		Subscriptions: cl.Filter.Subscriptions(),
		State:         "active",
		IPAddress:     cl.RemoteAddr,
		UserAgent:     cl.UserAgent,
		Format:        cl.Format.String(),
		QueuedEvents:  cl.QueuedEvents(),
		QueuedBytes:   cl.QueuedBytes(),
		Duration:      max(now.Sub(cl.ConnectedAt).Seconds(), 0),
		Protocol:      cl.Protocol,
		TLS:           cl.TLS != "",
		TLSVersion:    cl.TLS,
		BytesSent:     cl.BytesSent(),
		Network:       place.Network,
		IPVersion:     place.IPVersion,
		Country:       place.Country,
		City:          place.City,
	}
	if r, ok := rates[cl]; ok {
		conn.BytesPerSecond = r
	} else {
		conn.BytesPerSecond = float64(conn.BytesSent) / max(conn.Duration, 1e-3)
	}
	if t := cl.LastEventAt(); !t.IsZero() {
		t = t.UTC()
		conn.LastEventAt = &t
	}
	if cl.Err() != nil {
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
	ClosedExtra
}

// ClosedExtra are the figures of a [Closed] connection that came after the first ones; the
// history store keeps them as one JSON value.
type ClosedExtra struct {
	BytesSent  int64  `json:"bytes_sent"`
	Protocol   string `json:"protocol"`
	TLSVersion string `json:"tls_version,omitempty"`
	Network    string `json:"network"`
	Country    string `json:"country,omitempty"`
	City       string `json:"city,omitempty"`
}

// Unregistered tells the collector that the hub has unregistered cl: the hub's Config.OnClose
// calls it, on the hub's goroutine. It never blocks: cl is recorded as a [Closed] connection on
// the collector's goroutine.
func (c *Collector) Unregistered(cl *hub.Client) {
	now := time.Now()
	c.endedMu.Lock()
	c.ended = append(c.ended, ended{cl, now})
	c.endedMu.Unlock()
	c.Notice()
}

// reconcile looks at the hub's open clients and records the closed ones. It returns the open
// clients and the events queued to them; list is nil when the hub is not running.
func (c *Collector) reconcile(ctx context.Context) (list []*hub.Client, backlog int) {
	list = c.hub.List(ctx)
	if list == nil { // List gives nil only when the hub is not running; an empty hub is []
		return nil, 0
	}
	c.peak = max(c.peak, len(list))
	for _, cl := range list {
		backlog += cl.QueuedEvents()
	}
	c.recordEnded()
	return list, backlog
}

// recordEnded records the clients the hub has unregistered since the last look.
func (c *Collector) recordEnded() {
	c.endedMu.Lock()
	gone := c.ended
	c.ended = nil
	c.endedMu.Unlock()
	if len(gone) == 0 {
		return
	}
	closed := make([]Closed, 0, len(gone))
	for _, e := range gone {
		closed = append(closed, c.recordClosed(e.client, e.at))
	}
	if c.cfg.Store != nil && c.storeErr == nil {
		if err := c.write(func(h Store) error { return h.SaveClosed(closed) }); err != nil {
			c.storeFailed("save closed connections", err)
		}
	}
}

func (c *Collector) recordClosed(cl *hub.Client, at time.Time) Closed {
	r := reasonOf(cl.Err())
	c.closes[r].Add(1)
	lifetime := max(at.Sub(cl.ConnectedAt), 0)
	c.lifetimes.record(lifetime)
	c.closedSince[durationBucket(lifetime)]++
	c.closedSeconds += lifetime.Seconds()
	place := c.placeOf(cl.RemoteAddr)
	rec := Closed{
		ID:          cl.ID,
		ClientID:    cl.ClientID,
		UserID:      cl.User,
		ConnectedAt: cl.ConnectedAt.UTC(),
		ClosedAt:    at.UTC(),
		Duration:    lifetime.Seconds(),
		EventsSent:  cl.EventsSent(),
		Reason:      reasons[r],
		IPAddress:   cl.RemoteAddr,
		UserAgent:   cl.UserAgent,
		ClosedExtra: ClosedExtra{
			BytesSent:  cl.BytesSent(),
			Protocol:   cl.Protocol,
			TLSVersion: cl.TLS,
			Network:    place.Network,
			Country:    place.Country,
			City:       place.City,
		},
	}
	if len(c.closed) >= c.cfg.ClosedKept {
		c.closed = append(c.closed[:0], c.closed[len(c.closed)-c.cfg.ClosedKept+1:]...)
	}
	c.closed = append(c.closed, rec)
	return rec
}
