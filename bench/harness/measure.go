package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"
)

// measure runs fan-out runs over one set of connections and one publisher.
type measure struct {
	t      target
	f      fanoutFlags
	pool   *pool
	pub    publisher
	cur    *atomic.Pointer[deliveries] // where the clients' events count
	seq    int64                       // the next event's number
	stdout io.Writer
}

// run publishes at rate for -duration, waits up to -drain for the deliveries, and emits the
// result.
func (m *measure) run(ctx context.Context, rate float64, step int) (fanoutResult, error) {
	server := probe{m.t.pid}
	start := time.Now()
	d := newDeliveries(start, m.f.dur+m.f.drain)
	m.cur.Store(d)
	rss0, cpu0, self0 := server.rssKB(), server.cpu(), selfCPU()
	pd := pace(ctx, m.pub, rate, m.f.dur, m.f.workers, m.seq)
	m.seq += pd.ok + pd.failed
	alive := m.pool.alive()
	expected := pd.ok * alive
	for end := time.Now().Add(m.f.drain); d.received.Load() < expected && time.Now().Before(end); {
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return fanoutResult{}, err
		}
	}
	wall := time.Since(start)
	cpu, self := server.cpu()-cpu0, selfCPU()-self0
	r := fanoutResult{
		Cmd: "fanout", Harness: harnessName, Label: m.t.label, Time: now(), Publisher: m.f.publisher, URL: m.t.url,
		N: m.t.n, Established: m.pool.established.Load(), Failed: m.pool.failed.Load(), Alive: m.pool.alive(),
		Rate: rate, DurationS: m.f.dur.Seconds(), Published: pd.ok, PublishErrors: pd.failed,
		PublishRate: round(float64(pd.ok+pd.failed)/pd.elapsed.Seconds(), 1), PublishP99Ms: ms(pd.calls.quantile(0.99)),
		Expected: expected, Received: d.received.Load(), Stale: d.stale.Load(), Unstamped: d.unstamped.Load(),
		P50Ms: ms(d.latency.quantile(0.50)), P90Ms: ms(d.latency.quantile(0.90)),
		P99Ms: ms(d.latency.quantile(0.99)), MaxMs: ms(d.latency.maximum()),
		DeliveriesPerS: round(float64(d.received.Load())/pd.elapsed.Seconds(), 0), Peak1s: d.peak(),
		RSSBeforeKB: rss0, RSSAfterKB: server.rssKB(),
		HarnessCPUUtil: round(self.Seconds()/wall.Seconds(), 3), Step: step, FirstError: pd.firstErr,
	}
	r.Loss = r.Expected - r.Received
	if r.Expected > 0 {
		r.LossRatio = round(float64(r.Loss)/float64(r.Expected), 6)
	}
	if m.t.pid != 0 {
		r.ServerCPUS, r.ServerCPUUtil = round(cpu.Seconds(), 2), round(cpu.Seconds()/wall.Seconds(), 3)
		if r.Received > 0 {
			r.CPUSPerM = round(cpu.Seconds()/(float64(r.Received)/1e6), 3)
		}
	}
	// A server that made the publishers wait has not taken the load offered: below 97 % of
	// the rate asked, the run fails.
	r.Pass = r.Loss == 0 && r.PublishErrors == 0 && r.Expected > 0 && r.PublishRate >= 0.97*rate &&
		d.latency.quantile(0.99) < int64(m.f.p99Max)
	fmt.Fprintf(m.stdout, "%.0f events/s × %d clients: published %d (%.0f/s, %d errors), received %d of %d (loss %d), "+
		"latency p50 %.2f ms p90 %.2f ms p99 %.2f ms max %.2f ms, %.0f deliveries/s, server CPU %.2f s (%.0f %%, %.2f s per million), harness CPU %.0f %%, pass %v\n",
		rate, r.Alive, r.Published, r.PublishRate, r.PublishErrors, r.Received, r.Expected, r.Loss,
		r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs, r.DeliveriesPerS, r.ServerCPUS, 100*r.ServerCPUUtil, r.CPUSPerM, 100*r.HarnessCPUUtil, r.Pass)
	if r.FirstError != "" {
		fmt.Fprintf(m.stdout, "first publish error: %s\n", r.FirstError)
	}
	return r, m.t.emit(m.stdout, r)
}

// search runs at -rate, then at the rates rateSearch asks for, and emits a summary.
func (m *measure) search(ctx context.Context) error {
	s := newRateSearch(m.f.searchPrecision, m.f.searchMax)
	var best fanoutResult
	rate := m.f.rate
	for step := 1; ; step++ {
		r, err := m.run(ctx, rate, step)
		if err != nil {
			return err
		}
		if r.Pass && rate >= best.Rate {
			best = r
		}
		if m.pool.dropped.Load() > 0 {
			fmt.Fprintln(m.stdout, "clients were dropped: the search stops")
			break
		}
		next, more := s.next(rate, r.Pass)
		if !more {
			break
		}
		rate = next
		if err := m.quiet(ctx, 15*time.Second); err != nil {
			return err
		}
	}
	var firstFail any = s.failed
	if math.IsInf(s.failed, 1) {
		firstFail = nil
	}
	fmt.Fprintf(m.stdout, "search: highest rate passed %.0f/s with %d clients (%.0f deliveries/s); lowest failed %v\n",
		s.passed, m.t.n, best.DeliveriesPerS, firstFail)
	return m.t.emit(m.stdout, map[string]any{
		"cmd": "search", "harness": harnessName, "label": m.t.label, "time": now(), "publisher": m.f.publisher,
		"url": m.t.url, "n": m.t.n, "max_rate": s.passed, "first_fail_rate": firstFail,
		"max_deliveries_per_s": best.DeliveriesPerS, "p99_ms_at_max": best.P99Ms,
		"server_cpu_util_at_max": best.ServerCPUUtil, "server_cpu_s_per_m_at_max": best.CPUSPerM,
		"harness_cpu_util_at_max": best.HarnessCPUUtil,
	})
}

// quiet waits, up to longest, until the backlog of the last run stops arriving (no event for
// half a second), so that it does not count in the next one.
func (m *measure) quiet(ctx context.Context, longest time.Duration) error {
	d := newDeliveries(time.Unix(0, math.MaxInt64), 0) // every event is stale
	m.cur.Store(d)
	seen := int64(-1)
	for end := time.Now().Add(longest); time.Now().Before(end); {
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
		n := d.stale.Load() + d.unstamped.Load()
		if n == seen {
			return nil
		}
		seen = n
	}
	return nil
}
