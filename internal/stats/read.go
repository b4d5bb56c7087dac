package stats

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// Stats is the answer of GET /api/sse/stats: seed 1's fields first, then extras.
type Stats struct {
	ActiveConnections int              `json:"active_connections"`
	TotalEventsSent   int64            `json:"total_events_sent"`
	EventsPerSecond   float64          `json:"events_per_second"` // written to clients, last interval
	MemoryUsage       uint64           `json:"memory_usage"`      // RSS, bytes
	CPUUsage          float64          `json:"cpu_usage"`         // % of one core, last interval
	Uptime            string           `json:"uptime"`            // ISO 8601 duration
	EventBacklog      int              `json:"event_backlog"`     // queued to clients, all queues
	EventsReceived    int64            `json:"events_received"`   // from Home Assistant, dispatched
	EventsByType      map[string]int64 `json:"events_by_type"`    // from Home Assistant
	DroppedClients    int64            `json:"dropped_clients"`   // as slow consumers
	Latency           Latency          `json:"latency"`           // last interval
	Alerts            []Alert          `json:"alerts"`            // pending and firing

	BytesSent          int64               `json:"bytes_sent"`          // written to clients since the start
	BytesPerSecond     float64             `json:"bytes_per_second"`    // last interval
	Delivery           Delivery            `json:"delivery"`            // delivered versus should-have-been
	ConnectionDuration ConnectionDurations `json:"connection_duration"` // of the open connections
	Protocols          map[string]int      `json:"protocols"`           // open connections by protocol: HTTP/1.1, HTTP/2.0
	TLSConnections     int                 `json:"tls_connections"`     // open connections over TLS
	Geography          Geography           `json:"geography"`           // where the open connections come from
	DiskIO             DiskIO              `json:"disk_io"`
	ConnectionPool     ConnectionPool      `json:"connection_pool"`
	ThreadPool         ThreadPool          `json:"thread_pool"`
}

// Latency holds delivery latency percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func latencyOf(d *Dist) Latency {
	return Latency{P50: d.Quantile(0.5), P95: d.Quantile(0.95), P99: d.Quantile(0.99)}
}

// Stats returns the current statistics. It asks the hub for its clients.
func (c *Collector) Stats(ctx context.Context) Stats {
	v := c.latest.Load()
	delivered := c.meter.snapshot()
	list := c.hub.List(ctx)
	open := c.figuresOf(list, time.Now())
	backlog := open.backlog
	sent, lost := int64(delivered.Total()), c.meter.lost()
	st := Stats{
		ActiveConnections: c.hub.Clients(),
		TotalEventsSent:   int64(delivered.Total()),
		EventsPerSecond:   v.sample.Rate,
		MemoryUsage:       memoryBytes(),
		CPUUsage:          v.sample.CPU,
		Uptime:            ISODuration(time.Since(c.start)),
		EventBacklog:      backlog,
		EventsReceived:    c.hub.Dispatched(),
		EventsByType:      c.EventsByType(),
		DroppedClients:    c.hub.Dropped(),
		Latency:           latencyOf(&v.sample.Latency),
		Alerts:            v.alerts,

		BytesSent:      c.meter.bytesSent(),
		BytesPerSecond: v.sample.ByteRate,
		Delivery: Delivery{
			Delivered:         sent,
			Undelivered:       lost,
			SuccessRate:       successRate(sent, lost),
			RecentSuccessRate: v.sample.SuccessRate(),
		},
		ConnectionDuration: open.durations,
		Protocols:          open.protocols,
		TLSConnections:     open.tls,
		Geography:          open.geography,
		DiskIO:             c.diskIONow(&v.sample),
		ThreadPool:         c.threadPool(),
	}
	st.ConnectionPool = c.connectionPool(st.ActiveConnections, v.busy)
	if st.Alerts == nil {
		st.Alerts = []Alert{}
	}
	return st
}

// ISODuration writes d as an ISO 8601 duration in whole seconds: PT24H, PT1H30M5S, PT0S.
func ISODuration(d time.Duration) string {
	s := int64(d / time.Second)
	if s <= 0 {
		return "PT0S"
	}
	out := []byte("PT")
	for _, u := range []struct {
		secs int64
		unit byte
	}{{3600, 'H'}, {60, 'M'}, {1, 'S'}} {
		if n := s / u.secs; n > 0 {
			out = strconv.AppendInt(out, n, 10)
			out = append(out, u.unit)
			s -= n * u.secs
		}
	}
	return string(out)
}

// ErrPeriod is returned for a period other than 1h, 24h, 7d and 30d.
var ErrPeriod = errors.New("stats: period must be 1h, 24h, 7d or 30d")

// periods maps a period to its length and the tier that covers it.
var periods = map[string]struct {
	length time.Duration
	tier   int
}{
	"1h":  {time.Hour, 0},
	"24h": {24 * time.Hour, 1},
	"7d":  {7 * 24 * time.Hour, 2},
	"30d": {30 * 24 * time.Hour, 3},
}

// points returns the points of period, and the tier's span; Run's goroutine only.
func (c *Collector) points(period string, now time.Time) ([]Point, time.Duration, error) {
	p, ok := periods[period]
	if !ok {
		return nil, 0, ErrPeriod
	}
	t := c.tiers[p.tier]
	return t.since(now.Add(-p.length)), t.span, nil
}

// Metrics is the answer of GET /api/sse/metrics: seed 1's metrics object, its period and time.
type Metrics struct {
	Metrics   MetricsBody `json:"metrics"`
	Period    string      `json:"period"`
	Timestamp time.Time   `json:"timestamp"`
}

// MetricsBody is seed 1's metrics object. Every max is the peak observed in the period; limits
// are in the extra limit fields.
type MetricsBody struct {
	Connections struct {
		Current int     `json:"current"`
		Max     int64   `json:"max"`
		Average float64 `json:"average"`
		Limit   int     `json:"limit,omitempty"`
		// How long connections stay: the open ones' ages (now, the oldest seen in the period,
		// and their average over it), and the lifetimes of those that closed in the period.
		Duration struct {
			Current float64         `json:"current"` // average age of the open connections, seconds
			Max     float64         `json:"max"`
			Average float64         `json:"average"`
			Closed  ClosedDurations `json:"closed"`
		} `json:"duration"`
	} `json:"connections"`
	Events struct {
		Total int64 `json:"total"` // written to clients in the period
		Rate  struct {
			Current float64 `json:"current"`
			Max     float64 `json:"max"`
			Average float64 `json:"average"`
		} `json:"rate"`
		Delivery struct {
			Delivered   int64 `json:"delivered"`   // in the period
			Undelivered int64 `json:"undelivered"` // in the period: slow consumers' queues, failed writes
			SuccessRate struct {
				Current float64 `json:"current"` // %, last interval
				Min     float64 `json:"min"`     // the worst interval of the period
				Average float64 `json:"average"` // over the whole period
			} `json:"success_rate"`
		} `json:"delivery"`
	} `json:"events"`
	Latency   Latency `json:"latency"`
	Resources struct {
		Memory struct {
			Current uint64 `json:"current"`
			Max     uint64 `json:"max"`
			Limit   uint64 `json:"limit,omitempty"` // the Go memory limit, when one is set
		} `json:"memory"`
		CPU struct {
			Current float64 `json:"current"`
			Max     float64 `json:"max"`
			Average float64 `json:"average"`
			Limit   float64 `json:"limit"` // 100 per core the process may use
		} `json:"cpu"`
		Network struct {
			BytesSent int64 `json:"bytes_sent"` // to clients in the period
			Rate      Gauge `json:"rate"`       // bytes per second
		} `json:"network"`
		Disk struct {
			Read          Gauge `json:"read"`           // bytes per second from storage
			Write         Gauge `json:"write"`          // bytes per second to storage
			HistoryWrites int64 `json:"history_writes"` // to the statistics history file in the period
		} `json:"disk"`
		Goroutines Gauge `json:"goroutines"`
		Threads    Gauge `json:"threads"` // OS threads
	} `json:"resources"`
}

// Gauge is a figure now, its peak in the period and its average over the period.
type Gauge struct {
	Current float64 `json:"current"`
	Max     float64 `json:"max"`
	Average float64 `json:"average"`
}

// gauge returns the gauge of a figure that is current now, peaked at peak in the period's
// samples and averaged avg over them (ok false: no sample yet, the period so far is now).
func gauge(current, peak, avg float64, ok bool) Gauge {
	if !ok {
		avg = current
	}
	return Gauge{Current: current, Max: max(peak, current), Average: avg}
}

// ClosedDurations are the lifetimes of the connections that closed in a period.
type ClosedDurations struct {
	Count        int64    `json:"count"`
	Average      float64  `json:"average"` // seconds
	Distribution []Bucket `json:"distribution"`
}

// Metrics returns the metrics of period (1h, 24h, 7d or 30d), or [ErrPeriod].
func (c *Collector) Metrics(ctx context.Context, period string) (Metrics, error) {
	var (
		points []Point
		err    error
		now    time.Time
	)
	if !c.query(ctx, func() { now = time.Now(); points, _, err = c.points(period, now) }) {
		return Metrics{}, context.Canceled
	}
	if err != nil {
		return Metrics{}, err
	}
	v := c.latest.Load()
	m := Metrics{Period: period, Timestamp: now.UTC()}
	b := &m.Metrics
	var samples, connSum int64
	var seconds, memMax, cpuSum, cpuMax float64
	var dist Dist
	var ex Extra
	for _, p := range points {
		e := &p.Extra
		ex.Bytes += e.Bytes
		ex.ByteRateMax = max(ex.ByteRateMax, e.ByteRateMax)
		ex.Undelivered += e.Undelivered
		ex.FailPctMax = max(ex.FailPctMax, e.FailPctMax)
		ex.AgeSum += e.AgeSum
		ex.AgeCount += e.AgeCount
		ex.AgeMax = max(ex.AgeMax, e.AgeMax)
		ex.Closed.Add(&e.Closed)
		ex.ClosedSeconds += e.ClosedSeconds
		ex.DiskRead += e.DiskRead
		ex.DiskWrite += e.DiskWrite
		ex.DiskReadRateMax = max(ex.DiskReadRateMax, e.DiskReadRateMax)
		ex.DiskWriteRateMax = max(ex.DiskWriteRateMax, e.DiskWriteRateMax)
		ex.HistoryWrites += e.HistoryWrites
		ex.GoroutinesSum += e.GoroutinesSum
		ex.GoroutinesMax = max(ex.GoroutinesMax, e.GoroutinesMax)
		ex.ThreadsSum += e.ThreadsSum
		ex.ThreadsMax = max(ex.ThreadsMax, e.ThreadsMax)
		samples += int64(p.Samples)
		seconds += p.Seconds
		connSum += p.ConnSum
		b.Connections.Max = max(b.Connections.Max, p.ConnMax)
		b.Events.Total += p.Events
		b.Events.Rate.Max = max(b.Events.Rate.Max, p.RateMax)
		memMax = max(memMax, p.MemMax)
		cpuSum += p.CPUSum
		cpuMax = max(cpuMax, p.CPUMax)
		dist.AddBins(p.Latency)
	}
	b.Connections.Current = c.hub.Clients()
	b.Connections.Max = max(b.Connections.Max, int64(b.Connections.Current))
	b.Connections.Limit = c.cfg.MaxClients
	b.Events.Rate.Current = v.sample.Rate
	b.Events.Rate.Max = max(b.Events.Rate.Max, v.sample.Rate)
	if samples > 0 {
		b.Connections.Average = float64(connSum) / float64(samples)
		b.Events.Rate.Average = float64(b.Events.Total) / max(seconds, 1e-3)
		b.Resources.CPU.Average = cpuSum / float64(samples)
	} else { // no sample yet: the period so far is now
		b.Connections.Average = float64(b.Connections.Current)
		b.Events.Rate.Average = v.sample.Rate
		b.Resources.CPU.Average = v.sample.CPU
	}
	b.Latency = latencyOf(&dist)
	mem := &b.Resources.Memory
	mem.Current = memoryBytes()
	mem.Max = max(uint64(memMax), mem.Current)
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < 1<<62 {
		mem.Limit = uint64(lim)
	}
	cpu := &b.Resources.CPU
	cpu.Current = v.sample.CPU
	cpu.Max = max(cpuMax, cpu.Current)
	cpu.Limit = float64(100 * runtime.GOMAXPROCS(0))
	c.extraMetrics(ctx, b, &ex, samples, seconds, now, &v.sample)
	return m, nil
}

// extraMetrics fills the figures of issue 19 in b from ex, the period's points added up (over
// samples samples covering seconds), and last, the last sample.
func (c *Collector) extraMetrics(ctx context.Context, b *MetricsBody, ex *Extra, samples int64, seconds float64, now time.Time, last *Sample) {
	ok := samples > 0
	perSample := func(sum int64) float64 { return float64(sum) / float64(max(samples, 1)) }
	perSecond := func(sum int64) float64 { return float64(sum) / max(seconds, 1e-3) }

	open := c.figuresOf(c.hub.List(ctx), now)
	d := &b.Connections.Duration
	d.Current = open.durations.Average
	d.Max = max(ex.AgeMax, open.durations.Max)
	d.Average = d.Current
	if ex.AgeCount > 0 {
		d.Average = ex.AgeSum / float64(ex.AgeCount)
	}
	d.Closed = ClosedDurations{Count: ex.Closed.Total(), Distribution: ex.Closed.Buckets()}
	if d.Closed.Count > 0 {
		d.Closed.Average = ex.ClosedSeconds / float64(d.Closed.Count)
	}

	dl := &b.Events.Delivery
	dl.Delivered, dl.Undelivered = b.Events.Total, ex.Undelivered
	dl.SuccessRate.Current = last.SuccessRate()
	dl.SuccessRate.Min = min(100-ex.FailPctMax, dl.SuccessRate.Current)
	dl.SuccessRate.Average = successRate(dl.Delivered, dl.Undelivered)

	r := &b.Resources
	r.Network.BytesSent = ex.Bytes
	r.Network.Rate = gauge(last.ByteRate, ex.ByteRateMax, perSecond(ex.Bytes), ok)
	r.Disk.Read = gauge(last.DiskReadRate, ex.DiskReadRateMax, perSecond(ex.DiskRead), ok)
	r.Disk.Write = gauge(last.DiskWriteRate, ex.DiskWriteRateMax, perSecond(ex.DiskWrite), ok)
	r.Disk.HistoryWrites = ex.HistoryWrites
	r.Goroutines = gauge(float64(runtime.NumGoroutine()), float64(ex.GoroutinesMax), perSample(ex.GoroutinesSum), ok)
	r.Threads = gauge(float64(osThreads()), float64(ex.ThreadsMax), perSample(ex.ThreadsSum), ok)
}
