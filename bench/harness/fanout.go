package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// fanoutResult is the JSON result of one fan-out run (one step of a search).
type fanoutResult struct {
	Cmd            string  `json:"cmd"`
	Harness        string  `json:"harness"`
	Label          string  `json:"label,omitempty"`
	Time           string  `json:"time"`
	Publisher      string  `json:"publisher"`
	URL            string  `json:"url"`
	N              int     `json:"n"`
	Established    int64   `json:"established"`
	Failed         int64   `json:"failed"`
	Alive          int64   `json:"clients_alive"`
	Rate           float64 `json:"rate"`
	DurationS      float64 `json:"duration_s"`
	Published      int64   `json:"published"`
	PublishErrors  int64   `json:"publish_errors"`
	PublishRate    float64 `json:"publish_rate"`
	PublishP99Ms   float64 `json:"publish_p99_ms"`
	Expected       int64   `json:"expected"`
	Received       int64   `json:"received"`
	Loss           int64   `json:"loss"`
	LossRatio      float64 `json:"loss_ratio"`
	Stale          int64   `json:"stale"`
	Unstamped      int64   `json:"unstamped,omitempty"`
	P50Ms          float64 `json:"p50_ms"`
	P90Ms          float64 `json:"p90_ms"`
	P99Ms          float64 `json:"p99_ms"`
	MaxMs          float64 `json:"max_ms"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`
	Peak1s         int64   `json:"peak_deliveries_1s"`
	ServerCPUS     float64 `json:"server_cpu_s"`
	ServerCPUUtil  float64 `json:"server_cpu_util"`
	CPUSPerM       float64 `json:"server_cpu_s_per_m"`
	RSSBeforeKB    int64   `json:"rss_before_kb"`
	RSSAfterKB     int64   `json:"rss_after_kb"`
	HarnessCPUUtil float64 `json:"harness_cpu_util"`
	Pass           bool    `json:"pass"`
	Step           int     `json:"step,omitempty"`
	FirstError     string  `json:"first_error,omitempty"`
}

// fanoutFlags are fanout's own flags.
type fanoutFlags struct {
	rate, searchMax, searchPrecision   float64
	dur, drain, settle, p99Max, haWait time.Duration
	workers, pad, haLights             int
	publisher, rawURL, haAddr, haToken string
	search                             bool
}

func (f *fanoutFlags) register(fs *flag.FlagSet) {
	fs.Float64Var(&f.rate, "rate", 10, "events published a second (the first rate of a search)")
	fs.DurationVar(&f.dur, "duration", 20*time.Second, "publishing time of a run (of each search step)")
	fs.DurationVar(&f.drain, "drain", 5*time.Second, "longest wait for deliveries after the last publish")
	fs.DurationVar(&f.settle, "settle", time.Second, "pause between connecting and publishing")
	fs.IntVar(&f.workers, "workers", 8, "publish calls at once")
	fs.StringVar(&f.publisher, "publisher", "hass", "hass (the fake Home Assistant) or raw (POST to -raw-url)")
	fs.IntVar(&f.pad, "pad", 0, "extra payload bytes of the raw publisher")
	fs.DurationVar(&f.p99Max, "p99-max", 100*time.Millisecond, "a run passes with zero loss, no publish error, the rate achieved and p99 below this")
	fs.BoolVar(&f.search, "search", false, "search the highest rate that passes: double -rate while runs pass, then bisect")
	fs.Float64Var(&f.searchMax, "search-max", 1e6, "highest rate a search tries")
	fs.Float64Var(&f.searchPrecision, "search-precision", 0.1, "a search stops once its bracket is within this fraction")
	fs.StringVar(&f.rawURL, "raw-url", "", "where the raw publisher POSTs (default: -url's origin + /publish)")
	fs.StringVar(&f.haAddr, "hass-addr", "127.0.0.1:8123", "the fake Home Assistant's listen address")
	fs.StringVar(&f.haToken, "hass-token", "", "the access token the fake Home Assistant accepts (empty: any)")
	fs.IntVar(&f.haLights, "hass-entities", 10, "lights in the fake Home Assistant's home (light.bench_0 …)")
	fs.DurationVar(&f.haWait, "hass-wait", 60*time.Second, "how long the fake Home Assistant waits for the server to subscribe")
}

// fanout connects -n clients, publishes at -rate for -duration and reports loss, latency from
// publish to receipt, and the server's CPU time per million deliveries; with -search it repeats
// at other rates to find the highest that passes.
func fanout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t target
	var f fanoutFlags
	t.flags(fs)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var cur atomic.Pointer[deliveries]
	p, err := t.pool(func(now, stamp int64, ok bool) {
		if d := cur.Load(); d != nil {
			d.event(now, stamp, ok)
		}
	})
	if err != nil {
		return err
	}
	pub, stop, err := f.start(ctx, p.cfg.URL, stderr)
	if err != nil {
		return err
	}
	defer stop()
	raiseNofile()
	took := p.open(ctx, t.n)
	defer p.close()
	fmt.Fprintf(stdout, "established %d/%d in %.2fs (failed %d)%s\n", p.established.Load(), t.n, took.Seconds(), p.failed.Load(), errSummary(p.errorCounts()))
	if p.established.Load() == 0 {
		return errors.New("no connection established")
	}
	if err := sleep(ctx, f.settle); err != nil {
		return err
	}
	m := &measure{t: t, f: f, pool: p, pub: pub, cur: &cur, stdout: stdout}
	if !f.search {
		_, err := m.run(ctx, f.rate, 0)
		return err
	}
	return m.search(ctx)
}

// start starts the publisher -publisher names; stop stops it.
func (f *fanoutFlags) start(ctx context.Context, sse *url.URL, stderr io.Writer) (pub publisher, stop func(), err error) {
	switch f.publisher {
	case "raw":
		u := f.rawURL
		if u == "" {
			u = (&url.URL{Scheme: sse.Scheme, Host: sse.Host, Path: "/publish"}).String()
		}
		return newRawPublisher(u, f.pad, f.workers), func() {}, nil
	case "hass":
		ha := newFakeHA(f.haToken, f.haLights)
		stop, err := serveFakeHA(ctx, ha, f.haAddr, f.haWait, stderr)
		if err != nil {
			return nil, nil, err
		}
		return ha, stop, nil
	}
	return nil, nil, fmt.Errorf("-publisher %q: want hass or raw", f.publisher)
}

// serveFakeHA serves ha on addr and returns once a client has subscribed to state_changed, or
// fails after wait; stop ends the server.
func serveFakeHA(ctx context.Context, ha *fakeHA, addr string, wait time.Duration, stderr io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake home assistant: %w", err)
	}
	srv := &http.Server{Handler: ha.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }() // returns at Close
	stop = func() { srv.Close(); ha.close() }
	fmt.Fprintf(stderr, "fake Home Assistant on ws://%s/api/websocket; waiting up to %s for a subscription to state_changed\n", ln.Addr(), wait)
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := ha.waitSubscribed(wctx); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliveries counts what the clients receive during one run. Events stamped before the run
// began are the backlog of an earlier one: stale, and not counted otherwise.
type deliveries struct {
	start     int64 // Unix ns
	latency   histogram
	received  atomic.Int64
	stale     atomic.Int64
	unstamped atomic.Int64
	perSecond []atomic.Int64 // received, by second since start
}

func newDeliveries(start time.Time, span time.Duration) *deliveries {
	return &deliveries{start: start.UnixNano(), perSecond: make([]atomic.Int64, int(math.Ceil(span.Seconds()))+2)}
}

func (d *deliveries) event(now, stamp int64, ok bool) {
	switch {
	case !ok:
		d.unstamped.Add(1)
		return
	case stamp < d.start:
		d.stale.Add(1)
		return
	}
	d.latency.record(now - stamp)
	d.received.Add(1)
	if s := (now - d.start) / 1e9; s >= 0 && s < int64(len(d.perSecond)) {
		d.perSecond[s].Add(1)
	}
}

// peak is the most deliveries in one second.
func (d *deliveries) peak() int64 {
	var most int64
	for i := range d.perSecond {
		most = max(most, d.perSecond[i].Load())
	}
	return most
}
