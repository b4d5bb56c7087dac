package stats

import (
	"context"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"hasse/internal/hub"
	"hasse/internal/writer"
)

// sampler is what Run remembers between two samples.
type sampler struct {
	prevAt                      time.Time
	prevCPU                     time.Duration
	prevDist                    Dist
	prevDrops, prevSent         int64
	prevBytes, prevLost         int64
	prevDiskRead, prevDiskWrite int64
	prevHistOps                 int64
	prevClientBytes             map[*hub.Client]int64
	prevShards                  []writer.ShardStatus
}

// sampleAt takes the sample of the interval ending at now, folds it into the history, saves
// the points it finished and, when asked, evaluates the alert rules. list is the hub's open
// clients, nil when the hub has stopped.
func (c *Collector) sampleAt(now time.Time, list []*hub.Client, backlog int, alerts bool) {
	s := &c.sampler
	cpu, dist, drops := cpuTime(), c.meter.snapshot(), c.hub.Dropped()
	sent, bytes, lost, histOps := int64(dist.Total()), c.meter.bytesSent(), c.meter.lost(), c.histOps.Load()
	diskRead, diskWrite, diskOK := diskIO()
	smp := Sample{
		Time:          now,
		Elapsed:       now.Sub(s.prevAt),
		Connections:   c.hub.Clients(),
		Peak:          c.peak,
		Events:        sent - s.prevSent,
		Memory:        memoryBytes(),
		Backlog:       backlog,
		Drops:         drops - s.prevDrops,
		Latency:       dist.Sub(s.prevDist),
		Bytes:         bytes - s.prevBytes,
		Undelivered:   lost - s.prevLost,
		Closed:        c.closedSince,
		ClosedSeconds: c.closedSeconds,
		HistoryWrites: histOps - s.prevHistOps,
		Goroutines:    runtime.NumGoroutine(),
		Threads:       osThreads(),
	}
	if diskOK {
		smp.DiskRead, smp.DiskWrite = max(diskRead-s.prevDiskRead, 0), max(diskWrite-s.prevDiskWrite, 0)
		s.prevDiskRead, s.prevDiskWrite = diskRead, diskWrite
	}
	c.closedSince, c.closedSeconds = Durations{}, 0
	var rates map[*hub.Client]float64
	clientBytes := make(map[*hub.Client]int64, len(list))
	if elapsed := smp.Elapsed.Seconds(); elapsed > 0 {
		smp.Rate = float64(smp.Events) / elapsed
		smp.CPU = (cpu - s.prevCPU).Seconds() / elapsed * 100
		smp.ByteRate = float64(smp.Bytes) / elapsed
		smp.DiskReadRate = float64(smp.DiskRead) / elapsed
		smp.DiskWriteRate = float64(smp.DiskWrite) / elapsed
		rates = make(map[*hub.Client]float64, len(list))
		for _, cl := range list {
			b := cl.BytesSent()
			clientBytes[cl] = b
			if prev, ok := s.prevClientBytes[cl]; ok {
				rates[cl] = float64(b-prev) / elapsed
			} // a client younger than the interval: its reader divides by its age
		}
	}
	for _, cl := range list {
		age := max(now.Sub(cl.ConnectedAt).Seconds(), 0)
		smp.AgeSum += age
		smp.AgeCount++
		smp.AgeMax = max(smp.AgeMax, age)
	}
	shards := c.shards()
	busy := busyShares(s.prevShards, shards, smp.Elapsed)
	if list != nil {
		c.forgetPlaces(list)
	}
	c.peak = smp.Connections
	s.prevAt, s.prevCPU, s.prevDist, s.prevSent, s.prevDrops = now, cpu, dist, sent, drops
	s.prevBytes, s.prevLost, s.prevHistOps, s.prevClientBytes, s.prevShards = bytes, lost, histOps, clientBytes, shards

	var finished []Point
	for _, t := range c.tiers {
		if p := t.add(&smp); p != nil {
			finished = append(finished, *p)
			t.prune(now)
			c.prune(t.span, now.Add(-t.keep))
		}
	}
	c.save(finished)
	if alerts {
		c.evaluate(&smp)
	}
	c.publish(smp, rates, busy)
}

// publish leaves what readers without a query need.
func (c *Collector) publish(smp Sample, rates map[*hub.Client]float64, busy []float64) {
	v := &view{sample: smp, rates: rates, busy: busy}
	for _, r := range c.rules {
		if a := c.alerts[r.Name]; a != nil && a.State != StateResolved {
			v.alerts = append(v.alerts, *a)
		}
	}
	if c.storeErr != nil {
		v.problem = storeProblem
	}
	c.latest.Store(v)
}

// storeProblem is what /health says when the store failed; the log has the details.
const storeProblem = "the statistics history file cannot be used (see the log); history is kept in memory only"

// HistoryProblem returns why history is not being kept on disk, in plain words, or "" when it
// is (or no store was configured).
func (c *Collector) HistoryProblem() string { return c.latest.Load().problem }

// load reads the history store once, at the start of Run.
func (c *Collector) load() {
	h := c.cfg.Store
	if h == nil {
		return
	}
	points, err := h.LoadPoints()
	if err != nil {
		c.storeFailed("load", err)
		return
	}
	now := time.Now()
	for _, p := range points {
		for _, t := range c.tiers {
			if t.span == p.Span && p.Start.Add(p.Span).After(now.Add(-t.keep)) {
				t.points = append(t.points, p)
			}
		}
	}
	closed, err := h.LoadClosed(c.cfg.ClosedKept)
	if err != nil {
		c.storeFailed("load", err)
		return
	}
	c.closed = closed
	saved, ok, err := h.LoadRules()
	switch {
	case err != nil:
		c.storeFailed("load", err)
	case ok && slices.Equal(saved.Replaced, c.cfg.Rules) && checkRules(saved.Rules) == nil:
		c.rules = saved.Rules
		c.log.LogAttrs(context.Background(), slog.LevelInfo, "alert rules set through the API restored", slog.Int("rules", len(saved.Rules)))
	case ok:
		c.log.LogAttrs(context.Background(), slog.LevelInfo, "alert rules set through the API dropped: the configured rules have changed since")
	}
}

func (c *Collector) save(points []Point) {
	if c.cfg.Store == nil || c.storeErr != nil || len(points) == 0 {
		return
	}
	if err := c.write(func(h Store) error { return h.SavePoints(points) }); err != nil {
		c.storeFailed("save", err)
	}
}

func (c *Collector) prune(span time.Duration, before time.Time) {
	if c.cfg.Store == nil || c.storeErr != nil {
		return
	}
	if err := c.write(func(h Store) error { return h.Prune(span, before) }); err != nil {
		c.storeFailed("prune", err)
	}
}

// write runs one write to the history store (one transaction), counting it and its time for the
// disk I/O figures.
func (c *Collector) write(w func(Store) error) error {
	start := time.Now()
	err := w(c.cfg.Store)
	c.histTime.Add(int64(time.Since(start)))
	c.histOps.Add(1)
	return err
}

// saveOpen saves the points still filling, so that a restart goes on where this run stopped.
func (c *Collector) saveOpen() {
	var open []Point
	for _, t := range c.tiers {
		if p := t.current(); p != nil {
			open = append(open, *p)
		}
	}
	c.save(open)
}

// storeFailed stops using the store after its first failure: history goes on in memory.
func (c *Collector) storeFailed(op string, err error) {
	c.storeErr = err
	c.log.LogAttrs(context.Background(), slog.LevelWarn, "statistics history store failed; keeping history in memory only",
		slog.String("op", op), slog.Any("err", err))
	v := *c.latest.Load()
	v.problem = storeProblem
	c.latest.Store(&v)
}
