// Command report prints the results of one bench/all.sh run as a Markdown table: each scenario
// with hasse and the ceiling side by side. It reads the JSON lines of either harness, the
// project's (bench/harness) or the shared reference, and a bench/scale.sh run's result. A
// scenario run several times, hasse and the ceiling alternately (ROUNDS=n bench/run.sh), gets
// the table's row for its last run and a line with hasse's CPU and p99 as ratios to the ceiling's
// run by run: single runs vary by ±10 % on a shared machine, the ceiling's too.
//
//	go run ./bench/report bench/runs/<time>.jsonl
//	go run ./bench/report bench/runs/<time>-scale.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// result is one line of the harness's JSON output, fanout, conns or search.
type result struct {
	Cmd        string  `json:"cmd"`
	Label      string  `json:"label"`
	Time       string  `json:"time"`
	N          int     `json:"n"`
	Rate       float64 `json:"rate"`
	Loss       int64   `json:"loss"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	CPUPerM    float64 `json:"server_cpu_s_per_m"`
	RSSBefore  int64   `json:"rss_before_kb"`
	RSSAfter   int64   `json:"rss_after_kb"`
	RSSPerConn float64 `json:"rss_per_conn_kb"`
	Held       int64   `json:"established"`
	Pass       bool    `json:"pass"`
	MaxRate    float64 `json:"max_rate"`
	Clients    int64   `json:"clients"`     // scale
	Instances  int     `json:"instances"`   // scale
	Published  int64   `json:"published"`   // scale
	LastP99    float64 `json:"last_p99_ms"` // scale: publish to the last client of each event
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: report RUN.jsonl")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	byLabel := map[string]result{}
	runs := map[string][]result{} // every run of a label, in order
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		if r.Cmd == "fanout" && strings.HasSuffix(r.Label, " search") {
			continue // a step of a search: its summary follows
		}
		if r.Cmd == "publish" || r.Cmd == "listen" || r.Cmd == "instance" {
			continue // one process of a scale run: its result, "scale", follows
		}
		_, scenario, _ := strings.Cut(r.Label, " ")
		if !slices.Contains(order, scenario) {
			order = append(order, scenario)
		}
		byLabel[r.Label] = r
		runs[r.Label] = append(runs[r.Label], r)
	}
	fmt.Println("| scenario | hasse | ceiling, same run |")
	fmt.Println("|---|---|---|")
	for _, s := range order {
		h, okH := byLabel["hasse "+s]
		c, okC := byLabel["ceiling "+s]
		fmt.Printf("| %s | %s | %s |\n", s, describe(h, okH), describe(c, okC))
	}
	for _, s := range order {
		if line := ratios(runs["hasse "+s], runs["ceiling "+s]); line != "" {
			fmt.Printf("\n%s: %s\n", s, line)
		}
	}
}

// ratios compares alternating runs of hasse and the ceiling pair by pair: hasse's CPU per
// million deliveries and its p99 as ratios to the ceiling's of the same pair. It says nothing
// for fewer than two pairs.
func ratios(hasse, ceiling []result) string {
	n := min(len(hasse), len(ceiling))
	if n < 2 {
		return ""
	}
	cpu, p99 := make([]float64, n), make([]float64, n)
	for i := range n {
		cpu[i] = hasse[i].CPUPerM / ceiling[i].CPUPerM
		p99[i] = hasse[i].P99 / ceiling[i].P99
	}
	mean := 0.0
	for _, r := range cpu {
		mean += r
	}
	mean /= float64(n)
	slices.Sort(cpu)
	slices.Sort(p99)
	median := (p99[(n-1)/2] + p99[n/2]) / 2
	return fmt.Sprintf("%d alternating pairs: hasse's CPU per million deliveries %.2f × the ceiling's on average (%.2f–%.2f), its p99 %.2f × (median; %.2f–%.2f)",
		n, mean, cpu[0], cpu[n-1], median, p99[0], p99[n-1])
}

func describe(r result, ok bool) string {
	if !ok {
		return "—"
	}
	switch {
	case r.Cmd == "conns" && strings.HasSuffix(r.Label, " footprint"):
		return fmt.Sprintf("RSS %.1f MiB with no client, %.1f MiB with %d idle clients held",
			float64(r.RSSBefore)/1024, float64(r.RSSAfter)/1024, r.Held)
	case r.Cmd == "conns":
		return fmt.Sprintf("%d held, %.2f KiB RSS each", r.Held, r.RSSPerConn)
	case r.Cmd == "scale":
		loss := "zero loss"
		if r.Loss > 0 {
			loss = fmt.Sprintf("loss %d", r.Loss)
		}
		return fmt.Sprintf("%d clients on %d instances, %d events one at a time: %s, p99 publish → last client %.0f ms, RSS %.1f → %.1f MiB in all%s",
			r.Clients, r.Instances, r.Published, loss, r.LastP99, float64(r.RSSBefore)/1024, float64(r.RSSAfter)/1024,
			map[bool]string{true: "", false: " (fail)"}[r.Pass])
	case r.Cmd == "search":
		return fmt.Sprintf("highest zero-loss rate with p99 < 100 ms: %.0f/s", r.MaxRate)
	}
	loss := "zero loss"
	if r.Loss > 0 {
		loss = fmt.Sprintf("loss %d", r.Loss)
	}
	return fmt.Sprintf("%s, p50 %.1f ms, p99 %.1f ms, %.2f CPU-s/M, RSS %d→%d KiB%s",
		loss, r.P50, r.P99, r.CPUPerM, r.RSSBefore, r.RSSAfter, map[bool]string{true: "", false: " (fail)"}[r.Pass])
}
