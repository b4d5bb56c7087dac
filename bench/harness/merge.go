package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"
)

// instanceLine is what bench/scale.sh records of one server instance: its resident memory
// (VmRSS) once started, once its clients are connected and after the last event, and the CPU
// time it used while the events were published and delivered. Clients is filled in by merge,
// from the listeners' connections to its URL.
type instanceLine struct {
	Cmd         string  `json:"cmd"`
	Instance    string  `json:"instance"`
	URL         string  `json:"url"`
	PID         int     `json:"pid"`
	Clients     int64   `json:"clients"`
	RSSIdleKB   int64   `json:"rss_idle_kb"`
	RSSBeforeKB int64   `json:"rss_before_kb"`
	RSSAfterKB  int64   `json:"rss_after_kb"`
	CPUS        float64 `json:"cpu_s"`
}

// scaleResult is the JSON result of merge: one scale run, every process added up.
type scaleResult struct {
	Cmd           string  `json:"cmd"`
	Harness       string  `json:"harness"`
	Label         string  `json:"label,omitempty"`
	Time          string  `json:"time"`
	Clients       int64   `json:"clients"`
	Established   int64   `json:"established"`
	Failed        int64   `json:"failed"`
	Dropped       int64   `json:"dropped"`
	Listeners     int     `json:"harness_processes"`
	Instances     int     `json:"instances"`
	Rate          float64 `json:"rate"`
	DurationS     float64 `json:"duration_s"`
	Published     int64   `json:"published"`
	PublishErrors int64   `json:"publish_errors"`
	PublishRate   float64 `json:"publish_rate"`
	// Expected is every published event once for every client established; Received counts
	// the receipts of those events, Loss what is missing of them.
	Expected       int64 `json:"expected"`
	Received       int64 `json:"received"`
	Loss           int64 `json:"loss"`
	EventsComplete int64 `json:"events_complete"` // published events that reached every client
	Unexpected     int64 `json:"unexpected"`      // receipts of stamps the publisher did not send
	Unstamped      int64 `json:"unstamped"`
	// From each event's publish to its receipt by the last client, over the events that
	// reached every client (exact, nearest rank).
	LastP50Ms float64 `json:"last_p50_ms"`
	LastP99Ms float64 `json:"last_p99_ms"`
	LastMaxMs float64 `json:"last_max_ms"`
	// From publish to receipt, every delivery (the histogram's 0.8 %).
	P50Ms        float64        `json:"p50_ms"`
	P90Ms        float64        `json:"p90_ms"`
	P99Ms        float64        `json:"p99_ms"`
	MaxMs        float64        `json:"max_ms"`
	RSSIdleKB    int64          `json:"rss_idle_kb"` // the instances' sums
	RSSBeforeKB  int64          `json:"rss_before_kb"`
	RSSAfterKB   int64          `json:"rss_after_kb"`
	ServerCPUS   float64        `json:"server_cpu_s"`
	PerInstance  []instanceLine `json:"per_instance"`
	HarnessCPUS  float64        `json:"harness_cpu_s"`
	HarnessRSSKB int64          `json:"harness_rss_kb"`
	// The listeners' CPU time while the events were delivered (their sum), and the longest
	// such span: their share of a core shows whether the harness set the pace.
	HarnessEventsCPUS  float64 `json:"harness_events_cpu_s"`
	HarnessEventsWallS float64 `json:"harness_events_wall_s"`
	P99MaxMs           float64 `json:"p99_max_ms"`
	Pass               bool    `json:"pass"`
}

// mergeScale adds up one publisher's, several listeners' and the instances' lines. A run
// passes with every client connected and kept, no publish error, at least one event, zero
// loss, and the p99 from publish to the last client of each event at most p99Max.
func mergeScale(pub publishResult, listens []listenResult, instances []instanceLine, p99Max time.Duration) (scaleResult, error) {
	r := scaleResult{Cmd: "scale", Harness: harnessName, Time: now(), Listeners: len(listens), Instances: len(instances),
		Rate: pub.Rate, DurationS: pub.DurationS, Published: pub.Published, PublishErrors: pub.PublishErrors,
		PublishRate: pub.PublishRate, P99MaxMs: ms(int64(p99Max))}
	var latency histogram
	byURL := map[string]int64{}
	type event struct{ clients, last int64 }
	events := map[int64]*event{}
	for _, l := range listens {
		r.Clients += int64(l.N)
		r.Established += l.Established
		r.Failed += l.Failed
		r.Dropped += l.Dropped
		r.Unstamped += l.Unstamped
		r.HarnessCPUS += l.HarnessCPUS
		r.HarnessRSSKB += l.HarnessRSSKB
		r.HarnessEventsCPUS = round(r.HarnessEventsCPUS+l.EventsCPUS, 2)
		r.HarnessEventsWallS = max(r.HarnessEventsWallS, l.EventsWallS)
		if len(l.EstablishedURL) != len(l.URLs) {
			return r, fmt.Errorf("a listener has %d URLs and %d counts of connections to them", len(l.URLs), len(l.EstablishedURL))
		}
		for i, u := range l.URLs {
			byURL[u] += l.EstablishedURL[i]
		}
		if err := latency.add(l.Latency); err != nil {
			return r, err
		}
		for _, e := range l.Receipts {
			ev := events[e.Stamp]
			if ev == nil {
				ev = &event{}
				events[e.Stamp] = ev
			}
			ev.clients += e.Clients
			ev.last = max(ev.last, e.LastNs)
		}
	}
	var lasts []int64
	published := map[int64]bool{}
	for _, s := range pub.Stamps {
		published[s] = true
		ev := events[s]
		if ev == nil {
			ev = &event{}
		}
		r.Received += ev.clients
		r.Loss += max(r.Established-ev.clients, 0)
		if ev.clients >= r.Established && r.Established > 0 {
			r.EventsComplete++
			lasts = append(lasts, ev.last-s)
		}
	}
	for s, ev := range events {
		if !published[s] {
			r.Unexpected += ev.clients
		}
	}
	r.Expected = int64(len(pub.Stamps)) * r.Established
	slices.Sort(lasts)
	r.LastP50Ms, r.LastP99Ms, r.LastMaxMs = ms(nearestRank(lasts, 0.5)), ms(nearestRank(lasts, 0.99)), ms(nearestRank(lasts, 1))
	r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs = ms(latency.quantile(0.5)), ms(latency.quantile(0.9)), ms(latency.quantile(0.99)), ms(latency.maximum())
	for _, in := range instances {
		in.Clients = byURL[in.URL]
		r.RSSIdleKB += in.RSSIdleKB
		r.RSSBeforeKB += in.RSSBeforeKB
		r.RSSAfterKB += in.RSSAfterKB
		r.ServerCPUS = round(r.ServerCPUS+in.CPUS, 2)
		r.PerInstance = append(r.PerInstance, in)
	}
	r.HarnessCPUS = round(r.HarnessCPUS, 2)
	r.Pass = r.Established == r.Clients && r.Established > 0 && r.Dropped == 0 && r.PublishErrors == 0 &&
		int64(len(pub.Stamps)) == r.Published && r.Published > 0 && r.Loss == 0 && r.Unexpected == 0 &&
		nearestRank(lasts, 0.99) <= int64(p99Max)
	return r, nil
}

// nearestRank is the q-quantile of sorted values: the ⌈q·n⌉-th smallest; 0 for none.
func nearestRank(sorted []int64, q float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(int(math.Ceil(q*float64(len(sorted))))-1, 0)]
}

// merge reads the JSON lines of one scale run (exactly one publish, one or more listen, and
// the script's instance lines; an earlier result, "scale", is skipped) from the files named,
// and prints and emits the run's result.
func merge(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	label := fs.String("label", "", "a label copied into the JSON result")
	out := fs.String("out", "", "also append the JSON result to this file")
	p99Max := fs.Duration("p99-max", 2*time.Second, "a run passes with p99 from publish to the last client of each event at most this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var pubs []publishResult
	var listens []listenResult
	var instances []instanceLine
	for _, name := range fs.Args() {
		if err := readLines(name, func(cmd string, line []byte) error {
			var err error
			switch cmd {
			case "publish":
				var p publishResult
				err = json.Unmarshal(line, &p)
				pubs = append(pubs, p)
			case "listen":
				var l listenResult
				err = json.Unmarshal(line, &l)
				listens = append(listens, l)
			case "instance":
				var in instanceLine
				err = json.Unmarshal(line, &in)
				instances = append(instances, in)
			case "scale":
				// an earlier merge's result, kept in the same file: merged anew
			default:
				err = fmt.Errorf("a %q line: want publish, listen or instance", cmd)
			}
			return err
		}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(pubs) != 1 || len(listens) == 0 {
		return fmt.Errorf("%d publish and %d listen lines: want one publish and at least one listen", len(pubs), len(listens))
	}
	r, err := mergeScale(pubs[0], listens, instances, *p99Max)
	if err != nil {
		return err
	}
	r.Label = *label
	printScale(stdout, r)
	return (&target{out: *out}).emit(stdout, r)
}

// readLines calls line for every JSON object line of the file name, with its "cmd"; other
// lines are skipped.
func readLines(name string, line func(cmd string, b []byte) error) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20) // a listener's line holds every event of the run
	for sc.Scan() {
		b := sc.Bytes()
		if !bytes.HasPrefix(b, []byte("{")) {
			continue
		}
		var head struct {
			Cmd string `json:"cmd"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return err
		}
		if err := line(head.Cmd, b); err != nil {
			return err
		}
	}
	return sc.Err()
}

// printScale writes the result for people: the figures a README row needs.
func printScale(w io.Writer, r scaleResult) {
	fmt.Fprintf(w, "%d clients (%d established, %d failed, %d dropped) on %d instances, held by %d harness processes\n",
		r.Clients, r.Established, r.Failed, r.Dropped, r.Instances, r.Listeners)
	fmt.Fprintf(w, "published %d events one at a time, %.4g a second for %gs (%d errors); %d of %d reached every client; received %d of %d (loss %d, unexpected %d, unstamped %d)\n",
		r.Published, r.Rate, r.DurationS, r.PublishErrors, r.EventsComplete, r.Published, r.Received, r.Expected, r.Loss, r.Unexpected, r.Unstamped)
	fmt.Fprintf(w, "publish to the last client of each event: p50 %.1f ms, p99 %.1f ms, max %.1f ms (pass at ≤ %.0f ms)\n",
		r.LastP50Ms, r.LastP99Ms, r.LastMaxMs, r.P99MaxMs)
	fmt.Fprintf(w, "publish to each delivery: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n", r.P50Ms, r.P90Ms, r.P99Ms, r.MaxMs)
	for _, in := range r.PerInstance {
		fmt.Fprintf(w, "instance %s: %d clients, RSS %s started → %s with its clients → %s after the events; CPU %.2f s during the events\n",
			in.Instance, in.Clients, mib(in.RSSIdleKB), mib(in.RSSBeforeKB), mib(in.RSSAfterKB), in.CPUS)
	}
	perClient := 0.0
	if r.Established > 0 {
		perClient = float64(r.RSSBeforeKB-r.RSSIdleKB) / float64(r.Established)
	}
	fmt.Fprintf(w, "instances together: RSS %s → %s → %s (%.2f KiB per client), CPU %.2f s; harness processes: RSS %s, CPU %.2f s, of which %.2f s in the %.1f s of the events\n",
		mib(r.RSSIdleKB), mib(r.RSSBeforeKB), mib(r.RSSAfterKB), perClient, r.ServerCPUS, mib(r.HarnessRSSKB), r.HarnessCPUS,
		r.HarnessEventsCPUS, r.HarnessEventsWallS)
	fmt.Fprintf(w, "pass %v\n", r.Pass)
}

// mib renders KiB as MiB with one decimal.
func mib(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }
