package stats

import "time"

// Sample is what the collector measured over one interval.
type Sample struct {
	Time        time.Time     // end of the interval
	Elapsed     time.Duration // length of the interval: Config.Interval, or less for the last one
	Connections int           // open at Time
	Peak        int           // most connections seen open at once during the interval
	Events      int64         // events written to clients during the interval
	Rate        float64       // Events per second
	Memory      uint64        // process RSS at Time, bytes
	CPU         float64       // CPU used during the interval, % of one core
	Backlog     int           // events queued to clients at Time, all queues together
	Drops       int64         // clients dropped as slow consumers during the interval
	Latency     Dist          // delivery latencies observed during the interval

	Bytes         int64     // bytes written to clients during the interval
	ByteRate      float64   // Bytes per second
	Undelivered   int64     // events that should have reached a client and did not, during the interval
	AgeSum        float64   // the open connections' ages at Time added up, seconds
	AgeCount      int       // the connections in AgeSum
	AgeMax        float64   // the oldest open connection's age at Time, seconds
	Closed        Durations // lifetimes of the connections that closed during the interval
	ClosedSeconds float64   // their sum, seconds
	DiskRead      int64     // bytes the process read from storage during the interval
	DiskWrite     int64     // bytes it wrote to storage
	DiskReadRate  float64   // DiskRead per second
	DiskWriteRate float64   // DiskWrite per second
	HistoryWrites int64     // writes to the history store during the interval
	Goroutines    int       // at Time
	Threads       int       // OS threads at Time
}

// SuccessRate returns the share of the events that should have reached a client during the
// interval that did, in %; 100 when none should have.
func (s *Sample) SuccessRate() float64 { return successRate(s.Events, s.Undelivered) }

func successRate(delivered, undelivered int64) float64 {
	if delivered+undelivered <= 0 {
		return 100
	}
	return float64(delivered) * 100 / float64(delivered+undelivered)
}

// Point is a rollup of the samples of one span of time, aligned to a multiple of Span (SPEC.md
// §6.4): 10 s points for the last hour, 1 min for a day, 5 min for a week, 30 min for a month.
type Point struct {
	Start   time.Time
	Span    time.Duration
	Samples int     // how many samples were folded in
	Seconds float64 // the time they cover

	ConnSum, ConnMax, ConnLast int64
	Events                     int64   // events written to clients
	RateMax                    float64 // the highest rate of one sample
	MemSum, MemMax, MemLast    float64 // bytes
	CPUSum, CPUMax, CPULast    float64 // % of one core
	BacklogMax, BacklogLast    int64
	Drops                      int64
	Latency                    []Bin // delivery latencies, compact
	Extra                      Extra // the figures added later, kept by the store as one value
}

// Extra are the figures of a [Point] that came after the first ones (issue 19): bandwidth,
// delivery success, connection ages and lifetimes, disk I/O, goroutines and threads. The
// history store keeps them as one JSON value, so that adding one needs no new column.
type Extra struct {
	Bytes            int64     `json:"bytes,omitempty"`         // written to clients
	ByteRateMax      float64   `json:"byte_rate_max,omitempty"` // the highest of one sample
	Undelivered      int64     `json:"undelivered,omitempty"`
	FailPctMax       float64   `json:"fail_pct_max,omitempty"` // the worst sample's share of undelivered events, %
	AgeSum           float64   `json:"age_sum,omitempty"`      // seconds, over samples and connections
	AgeCount         int64     `json:"age_count,omitempty"`    // connections in AgeSum, once per sample: AgeSum / AgeCount is the average age
	AgeMax           float64   `json:"age_max,omitempty"`
	Closed           Durations `json:"closed,omitzero"` // lifetimes of the connections that closed
	ClosedSeconds    float64   `json:"closed_seconds,omitempty"`
	DiskRead         int64     `json:"disk_read,omitempty"`
	DiskWrite        int64     `json:"disk_write,omitempty"`
	DiskReadRateMax  float64   `json:"disk_read_rate_max,omitempty"`
	DiskWriteRateMax float64   `json:"disk_write_rate_max,omitempty"`
	HistoryWrites    int64     `json:"history_writes,omitempty"`
	GoroutinesSum    int64     `json:"goroutines_sum,omitempty"`
	GoroutinesMax    int64     `json:"goroutines_max,omitempty"`
	ThreadsSum       int64     `json:"threads_sum,omitempty"`
	ThreadsMax       int64     `json:"threads_max,omitempty"`
}

func (e *Extra) add(s *Sample) {
	e.Bytes += s.Bytes
	e.ByteRateMax = max(e.ByteRateMax, s.ByteRate)
	e.Undelivered += s.Undelivered
	e.FailPctMax = max(e.FailPctMax, 100-s.SuccessRate())
	e.AgeSum += s.AgeSum
	e.AgeCount += int64(s.AgeCount)
	e.AgeMax = max(e.AgeMax, s.AgeMax)
	e.Closed.Add(&s.Closed)
	e.ClosedSeconds += s.ClosedSeconds
	e.DiskRead += s.DiskRead
	e.DiskWrite += s.DiskWrite
	e.DiskReadRateMax = max(e.DiskReadRateMax, s.DiskReadRate)
	e.DiskWriteRateMax = max(e.DiskWriteRateMax, s.DiskWriteRate)
	e.HistoryWrites += s.HistoryWrites
	e.GoroutinesSum += int64(s.Goroutines)
	e.GoroutinesMax = max(e.GoroutinesMax, int64(s.Goroutines))
	e.ThreadsSum += int64(s.Threads)
	e.ThreadsMax = max(e.ThreadsMax, int64(s.Threads))
}

// add folds s into p; dist is p's latency distribution, kept dense while p is open.
func (p *Point) add(s *Sample, dist *Dist) {
	p.Samples++
	p.Seconds += s.Elapsed.Seconds()
	p.ConnSum += int64(s.Connections)
	p.ConnMax = max(p.ConnMax, int64(s.Connections), int64(s.Peak))
	p.ConnLast = int64(s.Connections)
	p.Events += s.Events
	p.RateMax = max(p.RateMax, s.Rate)
	mem := float64(s.Memory)
	p.MemSum += mem
	p.MemMax = max(p.MemMax, mem)
	p.MemLast = mem
	p.CPUSum += s.CPU
	p.CPUMax = max(p.CPUMax, s.CPU)
	p.CPULast = s.CPU
	p.BacklogMax = max(p.BacklogMax, int64(s.Backlog))
	p.BacklogLast = int64(s.Backlog)
	p.Drops += s.Drops
	p.Extra.add(s)
	dist.Add(&s.Latency)
}

// tier is one resolution of the history: its points, oldest first, and the one still filling.
type tier struct {
	span   time.Duration
	keep   time.Duration // retention
	points []Point
	open   *Point
	dist   Dist // latencies of open
}

// tierSpecs are the resolutions of SPEC.md §6.4 after the first, whose span is the sampling
// interval and which is kept for an hour.
var tierSpecs = []struct{ span, keep time.Duration }{
	{time.Minute, 24 * time.Hour},
	{5 * time.Minute, 7 * 24 * time.Hour},
	{30 * time.Minute, 30 * 24 * time.Hour},
}

func newTiers(interval time.Duration) []*tier {
	ts := []*tier{{span: interval, keep: time.Hour}}
	for _, s := range tierSpecs {
		ts = append(ts, &tier{span: s.span, keep: s.keep})
	}
	return ts
}

// add folds s into the point of the span that holds s.Time, and returns the point it finished,
// if s began a new span.
func (t *tier) add(s *Sample) (finished *Point) {
	start := s.Time.Add(-time.Nanosecond).Truncate(t.span)
	if t.open != nil && !t.open.Start.Equal(start) {
		finished = t.finish()
	}
	if t.open == nil {
		if n := len(t.points); n > 0 && t.points[n-1].Start.Equal(start) {
			// the span a restart interrupted: go on filling it
			p := t.points[n-1]
			t.points = t.points[:n-1]
			t.dist = Dist{}
			t.dist.AddBins(p.Latency)
			t.open = &p
		} else {
			t.open, t.dist = &Point{Start: start, Span: t.span}, Dist{}
		}
	}
	t.open.add(s, &t.dist)
	t.open.Latency = nil // filled from dist when read or finished
	return finished
}

// finish closes the open point and returns a copy of it.
func (t *tier) finish() *Point {
	p := t.current()
	t.points = append(t.points, *p)
	t.open = nil
	return p
}

// current returns a copy of the open point with its latencies, or nil.
func (t *tier) current() *Point {
	if t.open == nil {
		return nil
	}
	p := *t.open
	p.Latency = t.dist.Bins()
	return &p
}

// prune drops points older than the retention before now.
func (t *tier) prune(now time.Time) {
	cut := now.Add(-t.keep)
	i := 0
	for i < len(t.points) && t.points[i].Start.Add(t.span).Before(cut) {
		i++
	}
	if i > 0 {
		t.points = append(t.points[:0], t.points[i:]...)
	}
}

// since returns the points that end after from, the open one included, oldest first.
func (t *tier) since(from time.Time) []Point {
	var out []Point
	for _, p := range t.points {
		if p.Start.Add(p.Span).After(from) {
			out = append(out, p)
		}
	}
	if p := t.current(); p != nil {
		out = append(out, *p)
	}
	return out
}
