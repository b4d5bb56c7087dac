package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// listener is a listen line with n clients on urls (split as listen splits them) and the
// receipts given; its latency histogram holds one value, latest.
func listener(urls []string, n int, latest int64, receipts ...eventReceipts) listenResult {
	l := listenResult{Cmd: "listen", URLs: urls, N: n, Established: int64(n), Alive: int64(n), Receipts: receipts}
	for i := range urls {
		l.EstablishedURL = append(l.EstablishedURL, int64(share(n, len(urls), i)))
	}
	var h histogram
	h.record(latest)
	l.Latency = h.dump()
	return l
}

func TestMergeScale(t *testing.T) {
	const ms1 = int64(time.Millisecond)
	a, b := "http://127.0.0.1:1/s", "http://127.0.0.1:2/s"
	pub := publishResult{Cmd: "publish", Rate: 1, DurationS: 3, Published: 3, Stamps: []int64{1000 * ms1, 2000 * ms1, 3000 * ms1}}
	// Two listeners of 3 and 2 clients; every event reaches all 5, the last client of each
	// in the second listener for event 1 and in the first for the others.
	full := []listenResult{
		listener([]string{a, b}, 3, 40*ms1,
			eventReceipts{Stamp: 1000 * ms1, Clients: 3, FirstNs: 1001 * ms1, LastNs: 1010 * ms1},
			eventReceipts{Stamp: 2000 * ms1, Clients: 3, FirstNs: 2001 * ms1, LastNs: 2030 * ms1},
			eventReceipts{Stamp: 3000 * ms1, Clients: 3, FirstNs: 3001 * ms1, LastNs: 3040 * ms1}),
		listener([]string{a, b}, 2, 20*ms1,
			eventReceipts{Stamp: 1000 * ms1, Clients: 2, FirstNs: 1002 * ms1, LastNs: 1020 * ms1},
			eventReceipts{Stamp: 2000 * ms1, Clients: 2, FirstNs: 2002 * ms1, LastNs: 2005 * ms1},
			eventReceipts{Stamp: 3000 * ms1, Clients: 2, FirstNs: 3002 * ms1, LastNs: 3003 * ms1}),
	}
	withReceipts := func(l listenResult, r ...eventReceipts) listenResult { l.Receipts = r; return l }
	type want struct {
		expected, received, loss, complete, unexpected int64
		lastP50, lastP99                               float64
		pass                                           bool
	}
	for _, tc := range []struct {
		name    string
		pub     publishResult
		listens []listenResult
		p99Max  time.Duration
		want    want
	}{
		{
			name: "every event reaches every client", pub: pub, listens: full, p99Max: 2 * time.Second,
			want: want{expected: 15, received: 15, complete: 3, lastP50: 30, lastP99: 40, pass: true},
		},
		{
			name: "the last client is too late", pub: pub, listens: full, p99Max: 39 * time.Millisecond,
			want: want{expected: 15, received: 15, complete: 3, lastP50: 30, lastP99: 40},
		},
		{
			name: "an event no client got", pub: pub, p99Max: 2 * time.Second,
			listens: []listenResult{withReceipts(full[0], full[0].Receipts[0], full[0].Receipts[2]), withReceipts(full[1], full[1].Receipts[0], full[1].Receipts[2])},
			want:    want{expected: 15, received: 10, loss: 5, complete: 2, lastP50: 20, lastP99: 40},
		},
		{
			name: "an event one process's clients missed", pub: pub, p99Max: 2 * time.Second,
			listens: []listenResult{full[0], withReceipts(full[1], full[1].Receipts[0], full[1].Receipts[1])},
			want:    want{expected: 15, received: 13, loss: 2, complete: 2, lastP50: 20, lastP99: 30},
		},
		{
			name: "a stamp nobody published", p99Max: 2 * time.Second,
			pub:     publishResult{Rate: 1, DurationS: 2, Published: 2, Stamps: pub.Stamps[:2]},
			listens: full,
			want:    want{expected: 10, received: 10, complete: 2, unexpected: 5, lastP50: 20, lastP99: 30},
		},
		{
			name: "nothing published", pub: publishResult{Rate: 1, DurationS: 3, PublishErrors: 3}, listens: full, p99Max: 2 * time.Second,
			want: want{unexpected: 15},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := mergeScale(tc.pub, tc.listens, nil, tc.p99Max)
			if err != nil {
				t.Fatal(err)
			}
			got := want{r.Expected, r.Received, r.Loss, r.EventsComplete, r.Unexpected, r.LastP50Ms, r.LastP99Ms, r.Pass}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Clients that never connected or were dropped fail the run even when everyone left got
// everything; the figures add up over the processes and the instances.
func TestMergeScaleCounts(t *testing.T) {
	a, b := "http://127.0.0.1:1/s", "http://127.0.0.1:2/s"
	pub := publishResult{Rate: 1, DurationS: 1, Published: 1, Stamps: []int64{1e9}}
	ok := listener([]string{a, b}, 3, 5e6, eventReceipts{Stamp: 1e9, Clients: 3, FirstNs: 1e9 + 1e6, LastNs: 1e9 + 5e6})
	ok.HarnessCPUS, ok.HarnessRSSKB, ok.EventsCPUS, ok.EventsWallS = 1.5, 1000, 0.5, 1.25
	short := listener([]string{b}, 2, 7e6, eventReceipts{Stamp: 1e9, Clients: 1, FirstNs: 1e9 + 7e6, LastNs: 1e9 + 7e6})
	short.Established, short.Failed, short.EstablishedURL = 1, 1, []int64{1}
	short.EventsCPUS, short.EventsWallS = 0.25, 1.5
	dropped := ok
	dropped.Dropped = 1
	instances := []instanceLine{
		{Cmd: "instance", Instance: "node1", URL: a, RSSIdleKB: 10, RSSBeforeKB: 20, RSSAfterKB: 25, CPUS: 0.5},
		{Cmd: "instance", Instance: "node2", URL: b, RSSIdleKB: 11, RSSBeforeKB: 21, RSSAfterKB: 26, CPUS: 0.25},
	}

	r, err := mergeScale(pub, []listenResult{ok, short}, instances, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Clients != 5 || r.Established != 4 || r.Failed != 1 || r.Loss != 0 || r.Pass {
		t.Errorf("one client not connected: clients %d, established %d, failed %d, loss %d, pass %v; want 5, 4, 1, 0, false",
			r.Clients, r.Established, r.Failed, r.Loss, r.Pass)
	}
	if diff := cmp.Diff([]int64{2, 2}, []int64{r.PerInstance[0].Clients, r.PerInstance[1].Clients}); diff != "" {
		t.Errorf("clients per instance (-want +got):\n%s", diff)
	}
	if r.RSSIdleKB != 21 || r.RSSBeforeKB != 41 || r.RSSAfterKB != 51 || r.ServerCPUS != 0.75 || r.HarnessCPUS != 1.5 || r.HarnessRSSKB != 1000 {
		t.Errorf("sums: RSS %d %d %d KiB, server CPU %v s, harness %v s %d KiB", r.RSSIdleKB, r.RSSBeforeKB, r.RSSAfterKB, r.ServerCPUS, r.HarnessCPUS, r.HarnessRSSKB)
	}
	if r.HarnessEventsCPUS != 0.75 || r.HarnessEventsWallS != 1.5 {
		t.Errorf("harness during the events: %v s CPU over %v s; want the sum 0.75 over the longest 1.5", r.HarnessEventsCPUS, r.HarnessEventsWallS)
	}
	if r.MaxMs != 7 || r.LastMaxMs != 7 {
		t.Errorf("max %v ms, last client's %v ms; want 7 (the second process's)", r.MaxMs, r.LastMaxMs)
	}

	r, err = mergeScale(pub, []listenResult{dropped}, nil, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Loss != 0 || r.Pass {
		t.Errorf("a dropped client: loss %d, pass %v; want 0 (its one event came) and false", r.Loss, r.Pass)
	}

	bad := ok
	bad.EstablishedURL = []int64{3}
	if _, err := mergeScale(pub, []listenResult{bad}, nil, 2*time.Second); err == nil {
		t.Error("a listener with 2 URLs and 1 count: no error")
	}
}

func TestNearestRank(t *testing.T) {
	for _, tc := range []struct {
		values []int64
		q      float64
		want   int64
	}{
		{nil, 0.99, 0},
		{[]int64{5}, 0.5, 5},
		{[]int64{1, 2, 3, 4}, 0.5, 2},
		{[]int64{1, 2, 3, 4}, 0.99, 4},
		{[]int64{1, 2, 3, 4}, 1, 4},
		{[]int64{1, 2, 3, 4}, 0, 1},
	} {
		if got := nearestRank(tc.values, tc.q); got != tc.want {
			t.Errorf("nearestRank(%v, %v) = %d, want %d", tc.values, tc.q, got, tc.want)
		}
	}
}

// merge reads a run's lines from files, skipping what is not a JSON line and an earlier result,
// and emits the result.
func TestMergeCmd(t *testing.T) {
	dir := t.TempDir()
	pub := publishResult{Cmd: "publish", Rate: 1, DurationS: 1, Published: 1, Stamps: []int64{1e9}}
	l := listener([]string{"http://127.0.0.1:1/s"}, 2, 3e6, eventReceipts{Stamp: 1e9, Clients: 2, FirstNs: 1e9 + 1e6, LastNs: 1e9 + 3e6})
	in := instanceLine{Cmd: "instance", Instance: "node1", URL: "http://127.0.0.1:1/s", RSSIdleKB: 1, RSSBeforeKB: 2, RSSAfterKB: 3}
	run := filepath.Join(dir, "run.jsonl")
	var b bytes.Buffer
	for i, v := range []any{pub, l, in, scaleResult{Cmd: "scale"}} {
		line, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
		if i == 0 {
			b.WriteString("published 1 event\n") // a line for people
		}
	}
	if err := os.WriteFile(run, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results.jsonl")
	var stdout bytes.Buffer
	if err := merge([]string{"-label", "hasse scale", "-out", out, run}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r scaleResult
	lastJSON(t, string(written), &r)
	if !r.Pass || r.Label != "hasse scale" || r.Received != 2 || len(r.PerInstance) != 1 || r.PerInstance[0].Clients != 2 {
		t.Errorf("result %+v: want a pass of 2 deliveries labelled hasse scale, 2 clients on node1", r)
	}
	if !strings.Contains(stdout.String(), "pass true") {
		t.Errorf("stdout has no summary:\n%s", stdout.String())
	}

	for _, tc := range []struct{ name, content string }{
		{"no publish line", "{\"cmd\":\"listen\",\"urls\":[],\"established_per_url\":[],\"latency\":{\"buckets\":[]}}\n"},
		{"an unknown line", "{\"cmd\":\"fanout\"}\n"},
		{"two publish lines", string(must(json.Marshal(pub))) + "\n" + string(must(json.Marshal(pub))) + "\n" + string(must(json.Marshal(l))) + "\n"},
	} {
		f := filepath.Join(dir, "bad.jsonl")
		if err := os.WriteFile(f, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := merge([]string{f}, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: merged without error", tc.name)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
