package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strings"
	"time"
)

// listenResult is the JSON result of listen: one process's share of the clients, what they
// received event by event (to be added up with the other processes' by harness merge) and the
// latency of every delivery as a histogram.
type listenResult struct {
	Cmd            string          `json:"cmd"`
	Harness        string          `json:"harness"`
	Label          string          `json:"label,omitempty"`
	Time           string          `json:"time"`
	URLs           []string        `json:"urls"`
	N              int             `json:"n"`
	EstablishedURL []int64         `json:"established_per_url"`
	Established    int64           `json:"established"`
	Failed         int64           `json:"failed"`
	Dropped        int64           `json:"dropped"`
	Alive          int64           `json:"clients_alive"`
	EstablishS     float64         `json:"establish_s"`
	EventsWanted   int64           `json:"events_per_client"`
	Received       int64           `json:"received"`
	Unstamped      int64           `json:"unstamped"`
	Complete       bool            `json:"complete"`
	HarnessCPUS    float64         `json:"harness_cpu_s"`
	EventsCPUS     float64         `json:"events_cpu_s"`  // from the first receipt until every client had every event (or the end)
	EventsWallS    float64         `json:"events_wall_s"` // the same span's wall time
	HarnessRSSKB   int64           `json:"harness_rss_kb"`
	Nofile         uint64          `json:"harness_nofile"`
	Errors         map[string]int  `json:"errors,omitempty"`
	Receipts       []eventReceipts `json:"receipts"`
	Latency        histDump        `json:"latency"`
}

// listen holds -n clients spread evenly over the -url list, every one reading until the
// process is told to stop (SIGTERM or interrupt), and then reports what each event reached:
// the clients of a scale run whose events harness publish sends. It writes -ready once its
// clients are connected, and -done once every client has the round(-rate × -duration)
// events that publish sends with the same flags.
func listen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	urls := fs.String("url", "", "the SSE URLs, comma-separated (http:// only); the clients are spread evenly over them")
	n := fs.Int("n", 1000, "SSE connections of this process")
	rate := fs.Float64("rate", 1, "the publisher's -rate")
	dur := fs.Duration("duration", 60*time.Second, "the publisher's -duration")
	ready := fs.String("ready", "", "write this file once every connection is set up or has failed")
	done := fs.String("done", "", "write this file once every client has every event")
	label := fs.String("label", "", "a label copied into the JSON result")
	out := fs.String("out", "", "also append the JSON result to this file")
	srcIPs := fs.Int("src-ips", 250, "spread loopback connections over source addresses 127.0.0.1…127.0.0.N")
	concurrency := fs.Int("dial-concurrency", 256, "connections being set up at once")
	timeout := fs.Duration("timeout", 30*time.Second, "to connect and read each response head")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var tl tally
	pools, err := listenPools(*urls, poolConfig{SrcIPs: *srcIPs, Concurrency: *concurrency, Timeout: *timeout}, tl.record)
	if err != nil {
		return err
	}
	nofile := raiseNofile()
	if uint64(*n)+64 > nofile {
		fmt.Fprintf(stderr, "warning: this process may open %d files, fewer than -n %d and a few more: run more listeners\n", nofile, *n)
	}
	self0 := selfCPU()
	start := time.Now()
	for i, p := range pools {
		p.open(ctx, share(*n, len(pools), i))
	}
	took := time.Since(start)
	defer func() {
		for _, p := range pools {
			p.close()
		}
	}()
	r := listenResult{Cmd: "listen", Harness: harnessName, Label: *label, URLs: strings.Split(*urls, ","), N: *n,
		EstablishS: round(took.Seconds(), 3), EventsWanted: int64(math.Round(*rate * dur.Seconds())), Nofile: nofile, Errors: map[string]int{}}
	count := func() {
		r.EstablishedURL, r.Established, r.Failed, r.Dropped = nil, 0, 0, 0
		for _, p := range pools {
			r.EstablishedURL = append(r.EstablishedURL, p.established.Load())
			r.Established += p.established.Load()
			r.Failed += p.failed.Load()
			r.Dropped += p.dropped.Load()
			for k, v := range p.errorCounts() {
				r.Errors[k] += v
			}
		}
		r.Alive = r.Established - r.Dropped
	}
	count()
	fmt.Fprintf(stdout, "established %d/%d in %.2fs (failed %d)%s\n", r.Established, *n, took.Seconds(), r.Failed, errSummary(r.Errors))
	if err := touch(*ready); err != nil {
		return err
	}
	// The CPU this process spends on the events, from the first receipt to the last: near a
	// whole core (of those it may use) says that the harness, not the server, set the pace.
	var first, last time.Time
	var cpuFirst, cpuLast time.Duration
	for complete := false; ; {
		if first.IsZero() && tl.received.Load() > 0 {
			first, cpuFirst = time.Now(), selfCPU()
		}
		if alive := r.Established - droppedOf(pools); !complete && alive > 0 && tl.received.Load() >= r.EventsWanted*alive {
			complete = true
			last, cpuLast = time.Now(), selfCPU()
			fmt.Fprintf(stdout, "every client has its %d events\n", r.EventsWanted)
			if err := touch(*done); err != nil {
				return err
			}
		}
		if sleep(ctx, 20*time.Millisecond) != nil {
			break // told to stop: report
		}
	}
	r.Errors = map[string]int{}
	count()
	r.Time, r.Received, r.Unstamped = now(), tl.received.Load(), tl.unstamped.Load()
	r.Complete = r.Alive > 0 && r.Received >= r.EventsWanted*r.Alive
	r.HarnessCPUS, r.HarnessRSSKB = round((selfCPU()-self0).Seconds(), 2), selfRSSKB()
	if last.IsZero() {
		last, cpuLast = time.Now(), selfCPU()
	}
	if !first.IsZero() {
		r.EventsCPUS, r.EventsWallS = round((cpuLast-cpuFirst).Seconds(), 2), round(last.Sub(first).Seconds(), 2)
	}
	r.Receipts, r.Latency = tl.receipts(), tl.latency.dump()
	if len(r.Errors) == 0 {
		r.Errors = nil
	}
	fmt.Fprintf(stdout, "%d clients alive (dropped %d) received %d events of %d each (%d unstamped); latency p50 %.2f ms p99 %.2f ms max %.2f ms\n",
		r.Alive, r.Dropped, r.Received, r.EventsWanted, r.Unstamped,
		ms(tl.latency.quantile(0.5)), ms(tl.latency.quantile(0.99)), ms(tl.latency.maximum()))
	return (&target{out: *out}).emit(stdout, r)
}

// listenPools makes one pool for each of the comma-separated urls, with cfg and onEvent.
func listenPools(urls string, cfg poolConfig, onEvent func(now, stamp int64, ok bool)) ([]*pool, error) {
	if urls == "" {
		return nil, errors.New("-url: none given")
	}
	var pools []*pool
	for _, s := range strings.Split(urls, ",") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("-url: %w", err)
		}
		c := cfg
		c.URL = u
		p, err := newPool(c, onEvent)
		if err != nil {
			return nil, fmt.Errorf("-url %s: %w", s, err)
		}
		pools = append(pools, p)
	}
	return pools, nil
}

// share is the number of n clients that the i-th of parts takes: n/parts, one more for the
// first n%parts.
func share(n, parts, i int) int {
	s := n / parts
	if i < n%parts {
		s++
	}
	return s
}

// droppedOf is the connections the pools have lost.
func droppedOf(pools []*pool) int64 {
	var d int64
	for _, p := range pools {
		d += p.dropped.Load()
	}
	return d
}

// touch creates the file path ("" : nothing).
func touch(path string) error {
	if path == "" {
		return nil
	}
	return os.WriteFile(path, nil, 0o644)
}

// selfRSSKB is this process's resident set in KiB.
func selfRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	v, _ := statusKB(b, "VmRSS")
	return v
}
