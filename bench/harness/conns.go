package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// connsResult is the JSON result of conns.
type connsResult struct {
	Cmd          string         `json:"cmd"`
	Harness      string         `json:"harness"`
	Label        string         `json:"label,omitempty"`
	Time         string         `json:"time"`
	URL          string         `json:"url"`
	N            int            `json:"n"`
	Established  int64          `json:"established"`
	Failed       int64          `json:"failed"`
	Dropped      int64          `json:"dropped"`
	EstablishS   float64        `json:"establish_s"`
	HoldS        float64        `json:"hold_s"`
	RSSBeforeKB  int64          `json:"rss_before_kb"`
	RSSAfterKB   int64          `json:"rss_after_kb"`
	RSSPerConnKB float64        `json:"rss_per_conn_kb"`
	ServerCPUS   float64        `json:"server_cpu_s"`
	HarnessCPUS  float64        `json:"harness_cpu_s"`
	ServerNofile int64          `json:"server_nofile,omitempty"`
	Nofile       uint64         `json:"harness_nofile"`
	Errors       map[string]int `json:"errors,omitempty"`
}

// conns opens -n connections, holds them for -hold and reports what they cost the server:
// its memory before and after, per connection, and its CPU time meanwhile.
func conns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("conns", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t target
	t.flags(fs)
	hold := fs.Duration("hold", 10*time.Second, "how long to hold the connections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := t.pool(nil)
	if err != nil {
		return err
	}
	nofile := raiseNofile()
	if uint64(t.n)+64 > nofile {
		fmt.Fprintf(stderr, "warning: this process may open %d files, fewer than -n %d and a few more: run several harnesses\n", nofile, t.n)
	}
	server := probe{t.pid}
	rss0, cpu0, self0 := server.rssKB(), server.cpu(), selfCPU()
	took := p.open(ctx, t.n)
	defer p.close()
	fmt.Fprintf(stdout, "established %d/%d in %.2fs (failed %d)%s\n", p.established.Load(), t.n, took.Seconds(), p.failed.Load(), errSummary(p.errorCounts()))
	select {
	case <-time.After(*hold):
	case <-ctx.Done():
		return ctx.Err()
	}
	rss1, cpu1 := server.rssKB(), server.cpu()
	r := connsResult{
		Cmd: "conns", Harness: harnessName, Label: t.label, Time: now(), URL: t.url, N: t.n,
		Established: p.established.Load(), Failed: p.failed.Load(), Dropped: p.dropped.Load(),
		EstablishS: round(took.Seconds(), 3), HoldS: hold.Seconds(), RSSBeforeKB: rss0, RSSAfterKB: rss1,
		ServerCPUS: round((cpu1 - cpu0).Seconds(), 2), HarnessCPUS: round((selfCPU() - self0).Seconds(), 2),
		ServerNofile: server.nofile(), Nofile: nofile, Errors: p.errorCounts(),
	}
	if alive := p.alive(); alive > 0 && t.pid != 0 {
		r.RSSPerConnKB = round(float64(rss1-rss0)/float64(alive), 2)
	}
	fmt.Fprintf(stdout, "held %d connections for %s: server RSS %d → %d KiB (%.2f KiB each), server CPU %.2fs, dropped %d\n",
		p.alive(), *hold, rss0, rss1, r.RSSPerConnKB, r.ServerCPUS, r.Dropped)
	return t.emit(stdout, r)
}
