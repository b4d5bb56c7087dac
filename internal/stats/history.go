package stats

import (
	"context"
	"slices"
	"time"
)

// HistoryReport is the answer of GET /api/sse/history: the time series of the period at the
// resolution that fits it, and the connections that closed most recently.
type HistoryReport struct {
	Period            string         `json:"period"`
	Resolution        string         `json:"resolution"` // the span of one point, e.g. "10s"
	Timestamp         time.Time      `json:"timestamp"`
	Series            []HistoryPoint `json:"series"` // oldest first
	ClosedConnections []Closed       `json:"closed_connections"`
}

// HistoryPoint is one point of the series: averages over its span, and the peaks.
type HistoryPoint struct {
	Timestamp       time.Time `json:"timestamp"` // start of the span
	Connections     float64   `json:"connections"`
	EventsPerSecond float64   `json:"events_per_second"`
	LatencyP99      float64   `json:"latency_p99"` // ms
	Memory          float64   `json:"memory"`      // bytes
	CPU             float64   `json:"cpu"`         // % of one core
	ConnectionsMax  int64     `json:"connections_max"`
	RateMax         float64   `json:"events_per_second_max"`
	MemoryMax       float64   `json:"memory_max"`
	CPUMax          float64   `json:"cpu_max"`
	Backlog         int64     `json:"backlog_max"`
	Drops           int64     `json:"dropped_clients"`

	BytesPerSecond        float64 `json:"bytes_per_second"`
	BytesPerSecondMax     float64 `json:"bytes_per_second_max"`
	DeliverySuccessRate   float64 `json:"delivery_success_rate"`     // %, over the span
	DeliverySuccessMin    float64 `json:"delivery_success_rate_min"` // %, the worst sample
	Undelivered           int64   `json:"undelivered"`
	ConnectionDuration    float64 `json:"connection_duration"`     // average age of the open connections, seconds
	ConnectionDurationMax float64 `json:"connection_duration_max"` // the oldest, seconds
	ConnectionsClosed     int64   `json:"connections_closed"`
	DiskReadPerSecond     float64 `json:"disk_read_bytes_per_second"`
	DiskWritePerSecond    float64 `json:"disk_write_bytes_per_second"`
	HistoryWrites         int64   `json:"history_writes"`
	Goroutines            float64 `json:"goroutines"`
	GoroutinesMax         int64   `json:"goroutines_max"`
	Threads               float64 `json:"threads"`
	ThreadsMax            int64   `json:"threads_max"`
}

// History returns the history of period (1h, 24h, 7d or 30d), or [ErrPeriod], with at most
// closedLimit closed connections, newest first.
func (c *Collector) History(ctx context.Context, period string, closedLimit int) (HistoryReport, error) {
	var (
		points []Point
		span   time.Duration
		err    error
		rep    = HistoryReport{Period: period}
	)
	if !c.query(ctx, func() {
		rep.Timestamp = time.Now().UTC()
		points, span, err = c.points(period, rep.Timestamp)
		n := min(closedLimit, len(c.closed))
		rep.ClosedConnections = slices.Clone(c.closed[len(c.closed)-n:])
	}) {
		return HistoryReport{}, context.Canceled
	}
	if err != nil {
		return HistoryReport{}, err
	}
	slices.Reverse(rep.ClosedConnections)
	if rep.ClosedConnections == nil {
		rep.ClosedConnections = []Closed{}
	}
	rep.Resolution = span.String()
	rep.Series = make([]HistoryPoint, 0, len(points))
	for _, p := range points {
		if p.Samples == 0 {
			continue
		}
		n := float64(p.Samples)
		var d Dist
		d.AddBins(p.Latency)
		e := &p.Extra
		seconds := max(p.Seconds, 1e-3)
		age := 0.0
		if e.AgeCount > 0 {
			age = e.AgeSum / float64(e.AgeCount)
		}
		rep.Series = append(rep.Series, HistoryPoint{
			Timestamp:       p.Start.UTC(),
			Connections:     float64(p.ConnSum) / n,
			EventsPerSecond: float64(p.Events) / max(p.Seconds, 1e-3),
			LatencyP99:      d.Quantile(0.99),
			Memory:          p.MemSum / n,
			CPU:             p.CPUSum / n,
			ConnectionsMax:  p.ConnMax,
			RateMax:         p.RateMax,
			MemoryMax:       p.MemMax,
			CPUMax:          p.CPUMax,
			Backlog:         p.BacklogMax,
			Drops:           p.Drops,

			BytesPerSecond:        float64(e.Bytes) / seconds,
			BytesPerSecondMax:     e.ByteRateMax,
			DeliverySuccessRate:   successRate(p.Events, e.Undelivered),
			DeliverySuccessMin:    100 - e.FailPctMax,
			Undelivered:           e.Undelivered,
			ConnectionDuration:    age,
			ConnectionDurationMax: e.AgeMax,
			ConnectionsClosed:     e.Closed.Total(),
			DiskReadPerSecond:     float64(e.DiskRead) / seconds,
			DiskWritePerSecond:    float64(e.DiskWrite) / seconds,
			HistoryWrites:         e.HistoryWrites,
			Goroutines:            float64(e.GoroutinesSum) / n,
			GoroutinesMax:         e.GoroutinesMax,
			Threads:               float64(e.ThreadsSum) / n,
			ThreadsMax:            e.ThreadsMax,
		})
	}
	return rep, nil
}
