// Command harness loads Server-Sent Events servers, hasse first: it holds thousands of SSE
// connections on raw sockets, publishes stamped events through a fake Home Assistant (or
// straight to the ceiling), and measures loss, delivery latency and the server's CPU and memory.
// bench/README.md explains the runs.
//
//	harness conns   -url URL -n 19500 -hold 10s -pid PID         idle connections held
//	harness fanout  -url URL -n 1000 -rate 100 -duration 20s -pid PID [-publisher hass|raw] [-search]
//	harness ceiling -addr 127.0.0.1:18090                        the trivial server: the ceiling
//
// A scale run (bench/scale.sh) splits the clients over several processes: one publish (the
// fake Home Assistant alone, one event at a time), several listen (the clients, spread over
// several servers), and merge adds their JSON lines up into one result:
//
//	harness publish -hass-addr ADDR -rate 1 -duration 60s -start-file F -out P.jsonl
//	harness listen  -url URL1,URL2 -n 20000 -rate 1 -duration 60s -ready F -done F -out L1.jsonl   (until SIGTERM)
//	harness merge   -p99-max 2s P.jsonl L1.jsonl L2.jsonl …
//
// Each measuring run prints a line or two for people and then one JSON line (and appends that
// line to -out). Pin the server and the harness to different cores (taskset -c 0 / -c 1).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

const usage = `usage: harness conns|fanout|ceiling|publish|listen|merge [flags]   (harness CMD -h lists the flags)`

// run runs one subcommand until it is done or ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "conns":
		return conns(ctx, args[1:], stdout, stderr)
	case "fanout":
		return fanout(ctx, args[1:], stdout, stderr)
	case "ceiling":
		return serveCeiling(ctx, args[1:], stdout, stderr)
	case "publish":
		return publishCmd(ctx, args[1:], stdout, stderr)
	case "listen":
		return listen(ctx, args[1:], stdout, stderr)
	case "merge":
		return merge(args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return flag.ErrHelp
}

// headers is the repeatable -H flag.
type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

// target holds the flags of the measuring subcommands: what to connect to, what to watch and
// where the result goes.
type target struct {
	url         string
	n           int
	pid         int
	label       string
	out         string
	srcIPs      int
	concurrency int
	timeout     time.Duration
	headers     headers
}

func (t *target) flags(fs *flag.FlagSet) {
	fs.StringVar(&t.url, "url", "", "the SSE URL (http:// only)")
	fs.IntVar(&t.n, "n", 1000, "SSE connections")
	fs.IntVar(&t.pid, "pid", 0, "the server's process id, for its CPU time and memory (0: not measured)")
	fs.StringVar(&t.label, "label", "", "a label copied into the JSON result")
	fs.StringVar(&t.out, "out", "", "also append the JSON result to this file")
	fs.IntVar(&t.srcIPs, "src-ips", 250, "spread loopback connections over source addresses 127.0.0.1…127.0.0.N")
	fs.IntVar(&t.concurrency, "dial-concurrency", 256, "connections being set up at once")
	fs.DurationVar(&t.timeout, "timeout", 30*time.Second, "to connect and read each response head")
	fs.Var(&t.headers, "H", "an extra request header, \"Name: value\" (repeatable)")
}

func (t *target) pool(onEvent func(now, stamp int64, ok bool)) (*pool, error) {
	u, err := url.Parse(t.url)
	if err != nil {
		return nil, fmt.Errorf("-url: %w", err)
	}
	return newPool(poolConfig{URL: u, Headers: t.headers, SrcIPs: t.srcIPs, Concurrency: t.concurrency, Timeout: t.timeout}, onEvent)
}

// emit writes v as one JSON line to stdout and appends it to -out.
func (t *target) emit(stdout io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if _, err := stdout.Write(b); err != nil {
		return err
	}
	if t.out == "" {
		return nil
	}
	f, err := os.OpenFile(t.out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return errors.Join(err, f.Close())
}

// harnessName goes into every JSON result, to tell this harness's lines from another's.
const harnessName = "hasse"

// now is the time of a result.
func now() string { return time.Now().UTC().Format(time.RFC3339) }

// round rounds v to digits decimals.
func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// ms is a duration in nanoseconds as milliseconds, to the microsecond.
func ms(ns int64) float64 { return round(float64(ns)/1e6, 3) }
