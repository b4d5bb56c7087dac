package stats

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"hasse/internal/geo"
	"hasse/internal/hub"
)

// Config tunes a Collector. Zero fields take the defaults shown.
type Config struct {
	Interval     time.Duration // time between two samples; default 10s
	MaxClients   int           // the connection limit, reported as a limit and used by connections_pct; 0: unknown
	Rules        []Rule        // alert rules (SPEC.md §6.5); nil: DefaultRules, empty: none
	ClosedKept   int           // closed connections remembered; default 100
	ReconcileGap time.Duration // least time between two looks at the open connections; default 100ms
	Store        Store         // where points and closed connections are kept; nil: memory only
	StoreErr     error         // why the store could not be opened, for HistoryProblem; nil: it could
	Geo          *geo.DB       // countries and cities of client addresses; nil: network classes only
}

// Store keeps the rollups, closed connections and alert rules across restarts; store.DB is one.
// The collector calls it from [Collector.Run] only.
type Store interface {
	SavePoints(points []Point) error // insert or replace, by Span and Start
	LoadPoints() ([]Point, error)
	Prune(span time.Duration, before time.Time) error
	SaveClosed(cs []Closed) error           // in one transaction
	LoadClosed(limit int) ([]Closed, error) // newest last
	SaveRules(r SavedRules) error
	LoadRules() (r SavedRules, saved bool, err error)
}

// SavedRules are the alert rules an administrator set (PUT /api/sse/alerts), kept with the
// configured rules they replaced: after a restart they stand while the configuration still says
// what it said then, and give way to a configuration that changed.
type SavedRules struct {
	Rules    []Rule `json:"rules"`
	Replaced []Rule `json:"replaced"`
}

// Collector gathers the gateway's statistics. Create it with [New] and run it with
// [Collector.Run]. All methods are safe for concurrent use.
type Collector struct {
	cfg   Config
	hub   *hub.Hub
	log   *slog.Logger
	start time.Time

	meter  *Meter
	byType sync.Map     // event type → *atomic.Int64, events read from Home Assistant
	types  atomic.Int64 // entries in byType
	closes [numReasons]atomic.Int64
	latest atomic.Pointer[view] // what Run saw last, for readers that need nothing more

	places    sync.Map                   // client address → geo.Place, while a connection from it is open
	pool      atomic.Pointer[poolSource] // the writer pool, once the HTTP server runs one
	lifetimes lifetimes                  // of every closed connection, for /metrics
	histOps   atomic.Int64               // writes to the history store
	histTime  atomic.Int64               // the time they took, ns

	queries chan func()
	wake    chan struct{} // a stream started or ended: look at the connections soon
	stopped chan struct{}

	endedMu sync.Mutex
	ended   []ended // unregistered by the hub, not yet recorded

	// Owned by Run.
	sampler     sampler
	tiers       []*tier
	closed      []Closed // newest last
	peak        int      // most clients one look at the hub saw since the last sample
	rules       []Rule
	alerts      map[string]*Alert // by rule name
	recent      []Alert           // resolved, newest last
	subscribers map[chan Transition]struct{}
	storeErr    error
	// closed since the last sample
	closedSince   Durations
	closedSeconds float64
}

// ended is a client the hub unregistered, and when.
type ended struct {
	client *hub.Client
	at     time.Time
}

// view is what the last sample left for lock-free readers. Nothing in it changes once published.
type view struct {
	sample  Sample
	alerts  []Alert                 // pending and firing
	problem string                  // why history is not being kept, "" while it is
	rates   map[*hub.Client]float64 // bytes per second of each open client over the interval
	busy    []float64               // % of the interval each writer shard spent writing
}

// New returns a Collector for h that is not yet running. m must be the Meter of h's Config, and
// the Config's OnClose must call the Collector's Unregistered.
func New(cfg Config, h *hub.Hub, m *Meter, log *slog.Logger) (*Collector, error) {
	cfg.Interval = cmp.Or(cfg.Interval, 10*time.Second)
	cfg.ClosedKept = cmp.Or(cfg.ClosedKept, 100)
	cfg.ReconcileGap = cmp.Or(cfg.ReconcileGap, 100*time.Millisecond)
	if cfg.Rules == nil {
		cfg.Rules = DefaultRules()
	}
	switch {
	case cfg.Interval < 0 || cfg.ReconcileGap < 0:
		return nil, errors.New("stats: negative duration")
	case cfg.MaxClients < 0 || cfg.ClosedKept < 0:
		return nil, errors.New("stats: negative limit")
	}
	if err := checkRules(cfg.Rules); err != nil {
		return nil, err
	}
	c := &Collector{
		cfg:         cfg,
		hub:         h,
		meter:       m,
		log:         log,
		start:       time.Now(),
		queries:     make(chan func()),
		wake:        make(chan struct{}, 1),
		stopped:     make(chan struct{}),
		tiers:       newTiers(cfg.Interval),
		rules:       cfg.Rules,
		alerts:      make(map[string]*Alert),
		subscribers: make(map[chan Transition]struct{}),
	}
	c.sampler = sampler{prevAt: c.start, prevCPU: cpuTime(), prevDist: m.snapshot(), prevDrops: h.Dropped(),
		prevBytes: m.bytesSent(), prevLost: m.lost()}
	c.sampler.prevSent = int64(c.sampler.prevDist.Total())
	c.sampler.prevDiskRead, c.sampler.prevDiskWrite, _ = diskIO()
	c.latest.Store(&view{sample: Sample{Time: c.start}})
	if cfg.StoreErr != nil {
		c.storeFailed("open", cfg.StoreErr)
	}
	return c, nil
}

// Notice tells the collector that a stream started or ended, so that it looks at the open
// connections soon (within Config.ReconcileGap) and records the closed ones. It never blocks.
func (c *Collector) Notice() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Done is closed when Run has returned: readers get no more answers, subscribers no more pushes.
func (c *Collector) Done() <-chan struct{} { return c.stopped }

// query runs q on Run's goroutine and waits for it; false when the collector is not running.
func (c *Collector) query(ctx context.Context, q func()) bool {
	done := make(chan struct{})
	select {
	case c.queries <- func() { q(); close(done) }:
	case <-c.stopped:
		return false
	case <-ctx.Done():
		return false
	}
	<-done
	return true
}

// stopWait is the longest Run waits, as it stops, for the hub to end its clients.
const stopWait = 2 * time.Second

// Run samples every Config.Interval and answers readers until ctx ends; then it waits for the
// hub to stop, records the clients it ended, saves the points still filling and returns nil.
func (c *Collector) Run(ctx context.Context) error {
	defer close(c.stopped)
	c.load()
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	var lastLook time.Time
	later := time.NewTimer(0)
	<-later.C
	for {
		select {
		case now := <-tick.C:
			list, backlog := c.reconcile(ctx)
			lastLook = time.Now()
			c.sampleAt(now, list, backlog, true)
		case <-c.wake:
			if wait := c.cfg.ReconcileGap - time.Since(lastLook); wait > 0 {
				later.Reset(wait)
				continue
			}
			c.reconcile(ctx)
			lastLook = time.Now()
		case <-later.C: // a notice that came too soon after the last look
			c.reconcile(ctx)
			lastLook = time.Now()
		case q := <-c.queries:
			q()
		case <-ctx.Done():
			later.Stop()
			// The hub ends its clients as it stops, on the same signal: wait for it, so that
			// their ends are recorded with the rest (a hub that is not running has none).
			wait := time.NewTimer(stopWait)
			select {
			case <-c.hub.Stopped():
			case <-wait.C:
			}
			wait.Stop()
			if time.Since(c.sampler.prevAt) >= 100*time.Millisecond { // the last interval, cut short
				c.sampleAt(time.Now(), nil, c.latest.Load().sample.Backlog, false)
			}
			c.recordEnded()
			c.saveOpen()
			for ch := range c.subscribers {
				close(ch)
			}
			return nil
		}
	}
}
