package hub

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strconv"
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
	Protocol       string // the request's protocol, for the statistics tool: "HTTP/1.1", "HTTP/2.0"
	TLS            string // the TLS version, "TLS 1.3"; "" for a plain connection

	resume resumeState // what Subscribe learned of Config.History (resume.go)
	placed placement   // where Run resumes it
}

type join struct {
	sub   Subscription
	reply chan joinReply
}

type joinReply struct {
	c    *Client
	err  error
	need *need // what Subscribe must learn of Config.History before joining again; nil otherwise
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
	started chan struct{} // with a History: closed by its first Reset, before which no resume can be placed

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
	lastID  string // of the newest event dispatched
	scratch []*Client
	quiet   int64             // dispatched as the last history gap went out: another before an event repeats it
	waiting map[string][]join // resumes parked until the entry of that id comes (resume.go)

	windowEnds  windowEnds // open throttle windows, earliest first
	windowTimer *time.Timer
	link        linkState
}

// New returns a Hub that is not yet running.
func New(cfg Config, log *slog.Logger) (*Hub, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	var started chan struct{}
	if cfg.History != nil {
		started = make(chan struct{})
	}
	return &Hub{
		cfg:     cfg,
		started: started,
		log:     log,
		events:  make(chan ingest, cfg.EventBuffer),
		joins:   make(chan join),
		leaves:  make(chan *Client),
		queries: make(chan func()),
		stopped: make(chan struct{}),
		index:   newIndex(),
		ring:    newRing(cfg.ReplaySize, cfg.ReplayBytes, cfg.Epoch),
		states:  make(map[string]hass.State),
		clients: make(map[*Client]struct{}),
		perUser: make(map[string]int),
		waiting: make(map[string][]join),
	}, nil
}

// Stopped returns a channel closed when Run has returned: by then every client open as it
// stopped has been ended (ErrShutdown) and told to Config.OnClose.
func (h *Hub) Stopped() <-chan struct{} { return h.stopped }

// Config returns the hub's configuration, defaults filled in.
func (h *Hub) Config() Config { return h.cfg }

// Clients returns the number of open clients.
func (h *Hub) Clients() int { return int(h.count.Load()) }

// Dropped returns how many clients were dropped for not keeping up.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// Dispatched returns how many events the hub has fanned out.
func (h *Hub) Dispatched() int64 { return h.dispatched.Load() }

// ingest is what the Home Assistant link, or a history (history.go), hands the hub, in the order
// it happened.
type ingest struct {
	kind   ingestKind
	ev     *hass.Event  // an event
	states []hass.State // linkUp: every entity's state, or nil; reset: the history's
	id     string       // gapMark, reset
	reason format.Gap   // gapMark, reset
}

type ingestKind uint8

const (
	event ingestKind = iota
	linkUp
	linkDown
	gapMark // history.go
	reset
)

// Publish hands ev to the hub, which fans it out; the caller must not touch ev afterwards. An
// event without an ID gets one from the hub ("<epoch>-<sequence>"); one that has an ID (from a
// History, history.go) keeps it. Publish waits only while the hub is more than
// Config.EventBuffer events behind, and returns at once when the hub has stopped.
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
	if sub.LastEventID != "" {
		h.awaitStart(ctx)
	}
	var asking time.Time // since when Subscribe asks the History (resume.go)
	for {
		j := join{sub: sub, reply: make(chan joinReply, 1)}
		select {
		case h.joins <- j:
		case <-h.stopped:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r, err := h.await(ctx, j)
		if err != nil || r.need == nil {
			return r.c, cmp.Or(err, r.err)
		}
		if asking.IsZero() {
			asking = time.Now()
		} else if time.Since(asking) > resumeWait && !r.need.timedOut { // the ring keeps outrunning the reads
			sub.resume.gap = format.GapReplayWindowExceeded
			continue
		}
		sub = h.prepare(ctx, sub, r.need)
	}
}

// Run dispatches events and registers clients until ctx ends, then ends every client and
// returns nil.
func (h *Hub) Run(ctx context.Context) error {
	defer close(h.stopped)
	for {
		select {
		case in := <-h.events:
			h.handle(in)
		case j := <-h.joins:
			h.join(j)
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
			for n := len(h.events); n > 0; n-- { // what Publish took still goes out before the goodbye
				h.handle(<-h.events)
			}
			for c := range h.clients {
				h.end(c, ErrShutdown)
			}
			h.abandonWaiting()
			return nil
		}
	}
}

// handle takes in what the link handed the hub.
func (h *Hub) handle(in ingest) {
	switch in.kind {
	case event:
		h.dispatch(in.ev)
	case linkUp:
		h.linkUp(in.states)
	case linkDown:
		h.linkDown()
	case gapMark:
		h.mark(in.id, in.reason)
	case reset:
		h.reset(in.id, in.reason, in.states)
	}
}

func (h *Hub) dispatch(ev *hass.Event) {
	if ev.Origin != hass.OriginResync {
		h.reconnected(time.Now()) // an event of a new connection: the gap goes first
	}
	if st, ok := hass.StateOf(ev); ok {
		h.states[st.EntityID] = st
	} else if ev.Type == hass.TypeStateChanged && ev.EntityID != "" {
		delete(h.states, ev.EntityID) // removed
	}
	h.seq++
	h.dispatched.Add(1)
	given := ev.ID != "" // by a History (history.go); otherwise the hub numbers it
	if !given {
		ev.ID = h.cfg.Epoch + "-" + strconv.FormatUint(h.seq, 10)
	}
	h.lastID = ev.ID
	fr := format.NewFrame(ev)
	if given {
		h.ring.putWithID(fr, h.seq)
	} else {
		h.ring.put(fr, h.seq)
	}
	h.scratch = h.index.appendMatches(h.scratch[:0], ev)
	for i, c := range h.scratch {
		if !h.holdBack(c, fr, h.seq) {
			h.deliver(c, fr, h.seq)
		}
		h.scratch[i] = nil
	}
	if given {
		h.answerWaiting(ev.ID)
	}
}

// deliver queues fr, the frame of sequence seq, for c, or drops c when its queue is full. A frame
// carries its id only when it is newer than every id c has and c's throttle holds nothing back:
// the client's Last-Event-ID then never passes a state it has not had, so a resume may repeat
// events but never loses one, and never moves backwards.
func (h *Hub) deliver(c *Client, fr *format.Frame, seq uint64) {
	withID := seq > c.lastSeq && c.held == 0
	if withID {
		c.lastSeq = seq
	}
	if !c.q.push(fr, withID) {
		h.drop(c, fr)
	}
}

// drop ends c, whose queue is full: fr did not fit. The events queued and fr, if it is one,
// never reach c; the meter is told of them.
func (h *Hub) drop(c *Client, fr *format.Frame) {
	h.dropped.Add(1)
	h.log.LogAttrs(context.Background(), slog.LevelWarn, "slow client dropped",
		slog.String("client_id", c.ClientID), slog.Int("queued_bytes", c.q.pending()))
	h.end(c, ErrSlowConsumer)
	lost := c.q.discard()
	if fr.Event != nil {
		lost++
	}
	if m := h.cfg.Meter; m != nil && lost > 0 {
		m.Undelivered(lost)
	}
}

// join registers the client j asks for, unless its resume needs the History first or waits for
// an entry to come (resume.go).
func (h *Hub) join(j join) {
	if j.sub.LastEventID != "" {
		p, n, park := h.place(&j.sub)
		switch {
		case n != nil:
			j.reply <- joinReply{need: n}
			return
		case park:
			h.waiting[j.sub.resume.after] = append(h.waiting[j.sub.resume.after], j)
			return
		}
		j.sub.placed = p
	}
	c, err := h.add(j.sub)
	j.reply <- joinReply{c: c, err: err}
}

func (h *Hub) add(sub Subscription) (*Client, error) {
	userLimit := cmp.Or(sub.MaxConnections, h.cfg.MaxClientsPerUser)
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
		Protocol:    sub.Protocol,
		TLS:         sub.TLS,
		ConnectedAt: time.Now(),
		hub:         h,
		q:           queue{kind: sub.Format, limit: h.cfg.QueueBytes},
		done:        make(chan struct{}),
	}
	if sub.LastEventID != "" {
		h.resume(c, sub.placed, &sub.resume)
	}
	if sub.Snapshot && !c.Resumed {
		c.snapshot = h.snapshot(c)
	}
	if h.link.downFrame != nil {
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
	if h.cfg.OnClose != nil {
		h.cfg.OnClose(c)
	}
}

// end unregisters c and tells its stream why.
func (h *Hub) end(c *Client, err error) {
	c.err = err
	close(c.done)
	c.q.ended.Store(true) // after the close: whoever sees it sees Err set
	h.remove(c)
	c.q.signal() // a pooled writer learns of the end as of anything new
}
