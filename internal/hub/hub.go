package hub

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hass"
)

// Refusals of [Hub.Subscribe].
var (
	ErrFull     = errors.New("hub: connection limit reached")
	ErrUserFull = errors.New("hub: connection limit of this user reached")
	ErrClosed   = errors.New("hub: not running")
)

// Config tunes a Hub. Zero fields take the defaults shown.
type Config struct {
	MaxClients        int           // concurrent clients in all; default 100
	MaxClientsPerUser int           // concurrent clients of one user; default 10
	QueueBytes        int           // bytes a client may have waiting before it is dropped; default 1 MiB
	KeepAlive         time.Duration // keep-alive period of a quiet stream; default 30s
	WriteTimeout      time.Duration // longest one write to a client may take; default 5m
	FinalWriteTimeout time.Duration // longest the last write to an ended client may take; default 2s
	Epoch             string        // first part of event ids; default: random, new for each Hub
	EventBuffer       int           // events accepted ahead of dispatch; default 4096
	ReplaySize        int           // events kept for Last-Event-ID resume; default 10000, negative: none
	ShutdownRetry     time.Duration // the retry hint sent on shutdown, ±20 % (SPEC.md §4.7); default 3s
	Meter             Meter         // told of every delivery; nil: nobody
}

func (c *Config) setDefaults() error {
	c.MaxClients = cmpOr(c.MaxClients, 100)
	c.MaxClientsPerUser = cmpOr(c.MaxClientsPerUser, 10)
	c.QueueBytes = cmpOr(c.QueueBytes, 1<<20)
	c.KeepAlive = cmpOr(c.KeepAlive, 30*time.Second)
	c.WriteTimeout = cmpOr(c.WriteTimeout, 5*time.Minute)
	c.FinalWriteTimeout = cmpOr(c.FinalWriteTimeout, 2*time.Second)
	c.EventBuffer = cmpOr(c.EventBuffer, 4096)
	c.ReplaySize = max(cmpOr(c.ReplaySize, 10000), 0)
	c.ShutdownRetry = cmpOr(c.ShutdownRetry, 3*time.Second)
	if c.Epoch == "" {
		c.Epoch = newEpoch()
	}
	switch {
	case c.MaxClients < 0 || c.MaxClientsPerUser < 0 || c.QueueBytes < 0 || c.EventBuffer < 0:
		return errors.New("hub: negative limit")
	case c.KeepAlive < 0 || c.WriteTimeout < 0 || c.FinalWriteTimeout < 0 || c.ShutdownRetry < 0:
		return errors.New("hub: negative duration")
	}
	for _, r := range c.Epoch {
		if !isIDChar(r) || r == '-' {
			return fmt.Errorf("hub: epoch %q: only letters, digits, '.' and '_' allowed", c.Epoch)
		}
	}
	return nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func isIDChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// newEpoch returns 6 random base-36 characters.
func newEpoch() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = digits[int(b[i])%len(digits)]
	}
	return string(b[:])
}

// Subscription is what a client asks [Hub.Subscribe] for.
type Subscription struct {
	ID             string         // connection id; must be unique among open clients
	ClientID       string         // the client's label
	User           string         // user or token name, for the per-user limit
	MaxConnections int            // this user's own limit; 0 = Config.MaxClientsPerUser
	Filter         *filter.Filter // nil: every event
	Scope          *filter.Filter // what the user may see at all (SPEC.md §5.2); nil: everything
	Format         format.Kind
	LastEventID    string        // resume after this event (SPEC.md §4.5); "" for a fresh stream
	Snapshot       bool          // begin with the current state of every matching entity (SPEC.md §4.6)
	Throttle       time.Duration // at most one state_changed per entity per Throttle; 0: all
	RemoteAddr     string        // the client's address, for the statistics tool
	UserAgent      string
}

type join struct {
	sub   Subscription
	reply chan joinReply
}

type joinReply struct {
	c   *Client
	err error
}

// Hub fans events out to clients. Create it with [New], run it with [Hub.Run]; Publish,
// Subscribe and the Client methods are safe for concurrent use.
type Hub struct {
	cfg Config
	log *slog.Logger

	events  chan ingest
	joins   chan join
	leaves  chan *Client
	queries chan func()   // run by Run, for readers of its state
	stopped chan struct{} // closed when Run returns

	count      atomic.Int64 // open clients, for readers outside Run
	dropped    atomic.Int64 // clients dropped as slow consumers
	dispatched atomic.Int64 // events dispatched

	// Owned by Run.
	index   *index
	ring    *ring
	states  map[string]hass.State // every entity's current state, for snapshots
	clients map[*Client]struct{}
	perUser map[string]int
	seq     uint64
	scratch []*Client

	windowEnds  windowEnds // open throttle windows, earliest first
	windowTimer *time.Timer
	link        linkState
}

// New returns a Hub that is not yet running.
func New(cfg Config, log *slog.Logger) (*Hub, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Hub{
		cfg:     cfg,
		log:     log,
		events:  make(chan ingest, cfg.EventBuffer),
		joins:   make(chan join),
		leaves:  make(chan *Client),
		queries: make(chan func()),
		stopped: make(chan struct{}),
		index:   newIndex(),
		ring:    newRing(cfg.ReplaySize),
		states:  make(map[string]hass.State),
		clients: make(map[*Client]struct{}),
		perUser: make(map[string]int),
	}, nil
}

// Epoch returns the first part of every event id this hub gives out (SPEC.md §4.5).
func (h *Hub) Epoch() string { return h.cfg.Epoch }

// Clients returns the number of open clients.
func (h *Hub) Clients() int { return int(h.count.Load()) }

// Dropped returns how many clients were dropped for not keeping up.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// Dispatched returns how many events the hub has fanned out.
func (h *Hub) Dispatched() int64 { return h.dispatched.Load() }

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

// ingest is what the Home Assistant link hands the hub, in the order it happened.
type ingest struct {
	kind   ingestKind
	ev     *hass.Event  // an event
	states []hass.State // linkUp: every entity's state, or nil
}

type ingestKind uint8

const (
	event ingestKind = iota
	linkUp
	linkDown
)

// Publish hands ev to the hub, which gives it its id and fans it out; the caller must not touch
// ev afterwards. Publish waits only while the hub is more than Config.EventBuffer events behind,
// and returns at once when the hub has stopped.
func (h *Hub) Publish(ev *hass.Event) { h.ingest(ingest{ev: ev}) }

func (h *Hub) ingest(in ingest) {
	select {
	case h.events <- in:
	case <-h.stopped:
	}
}

// Subscribe registers a client. It fails with [ErrFull] or [ErrUserFull] over the connection
// limits, with [ErrClosed] when the hub is not running, or with ctx's error.
func (h *Hub) Subscribe(ctx context.Context, sub Subscription) (*Client, error) {
	j := join{sub: sub, reply: make(chan joinReply, 1)}
	select {
	case h.joins <- j:
	case <-h.stopped:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r := <-j.reply
	return r.c, r.err
}

// Run dispatches events and registers clients until ctx ends, then ends every client and
// returns nil.
func (h *Hub) Run(ctx context.Context) error {
	defer close(h.stopped)
	for {
		select {
		case in := <-h.events:
			switch in.kind {
			case event:
				h.dispatch(in.ev)
			case linkUp:
				h.linkUp(in.states)
			case linkDown:
				h.linkDown()
			}
		case j := <-h.joins:
			c, err := h.add(j.sub)
			j.reply <- joinReply{c, err}
		case c := <-h.leaves:
			h.remove(c)
		case q := <-h.queries:
			q()
		case now := <-h.windowTimerC():
			h.closeWindows(now)
		case <-ctx.Done():
			if h.windowTimer != nil {
				h.windowTimer.Stop()
			}
			for c := range h.clients {
				h.end(c, ErrShutdown)
			}
			return nil
		}
	}
}

func (h *Hub) dispatch(ev *hass.Event) {
	if st, ok := hass.StateOf(ev); ok {
		h.states[st.EntityID] = st
	} else if ev.Type == hass.TypeStateChanged && ev.EntityID != "" {
		delete(h.states, ev.EntityID) // removed
	}
	h.seq++
	h.dispatched.Add(1)
	ev.ID = h.cfg.Epoch + "-" + strconv.FormatUint(h.seq, 10)
	fr := format.NewFrame(ev)
	h.ring.put(fr, h.seq)
	h.scratch = h.index.appendMatches(h.scratch[:0], ev)
	for i, c := range h.scratch {
		if !h.holdBack(c, fr, h.seq) {
			h.deliver(c, fr, h.seq)
		}
		h.scratch[i] = nil
	}
}

// deliver queues fr, the frame of sequence seq, for c, or drops c when its queue is full. A
// frame older than one c already has (a throttled state) goes without its id, so that the
// client's Last-Event-ID never moves backwards.
func (h *Hub) deliver(c *Client, fr *format.Frame, seq uint64) {
	withID := seq > c.lastSeq
	if withID {
		c.lastSeq = seq
	}
	if !c.q.push(fr, withID) {
		h.drop(c)
	}
}

// drop ends c, whose queue is full.
func (h *Hub) drop(c *Client) {
	h.dropped.Add(1)
	h.log.LogAttrs(context.Background(), slog.LevelWarn, "slow client dropped",
		slog.String("client_id", c.ClientID), slog.Int("queued_bytes", c.q.pending()))
	h.end(c, ErrSlowConsumer)
	c.q.discard()
}

func (h *Hub) add(sub Subscription) (*Client, error) {
	userLimit := cmpOr(sub.MaxConnections, h.cfg.MaxClientsPerUser)
	switch {
	case len(h.clients) >= h.cfg.MaxClients:
		return nil, ErrFull
	case h.perUser[sub.User] >= userLimit:
		return nil, ErrUserFull
	}
	c := &Client{
		ID:          sub.ID,
		ClientID:    sub.ClientID,
		User:        sub.User,
		Filter:      sub.Filter,
		Scope:       sub.Scope,
		Format:      sub.Format,
		Throttle:    sub.Throttle,
		RemoteAddr:  sub.RemoteAddr,
		UserAgent:   sub.UserAgent,
		ConnectedAt: time.Now(),
		hub:         h,
		q:           newQueue(sub.Format, h.cfg.QueueBytes),
		done:        make(chan struct{}),
	}
	if sub.LastEventID != "" {
		h.resume(c, sub.LastEventID)
	}
	if sub.Snapshot && !c.Resumed {
		c.snapshot = h.snapshot(c)
	}
	if h.link.down {
		c.q.push(h.link.downFrame, true)
	}
	h.clients[c] = struct{}{}
	h.perUser[c.User]++
	h.index.add(c)
	h.count.Add(1)
	return c, nil
}

// remove unregisters c; a client the hub already ended is gone already.
func (h *Hub) remove(c *Client) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	if h.perUser[c.User]--; h.perUser[c.User] == 0 {
		delete(h.perUser, c.User)
	}
	h.index.remove(c)
	h.count.Add(-1)
}

// end unregisters c and tells its stream why.
func (h *Hub) end(c *Client, err error) {
	h.remove(c)
	c.err = err
	close(c.done)
}

// resume gives c the events after lastID, or the reason it cannot have them (SPEC.md §4.5).
// It runs in the same step that registers c, so nothing falls between the replay and live events.
func (h *Hub) resume(c *Client, lastID string) {
	epoch, seqText, ok := strings.Cut(lastID, "-")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	switch {
	case !ok || err != nil:
		c.Gap = GapUnknownEventID
	case epoch != h.cfg.Epoch:
		c.Gap = GapEpochChanged
	case seq > h.seq:
		c.Gap = GapUnknownEventID
	case !h.ring.covers(seq, h.seq):
		c.Gap = GapReplayWindowExceeded
	default:
		c.Resumed = true
		c.replay = h.ring.appendAfter(nil, seq, func(fr *format.Frame) bool { return c.wants(fr.Event) })
	}
}
