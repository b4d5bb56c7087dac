package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// collector gathers the stamps a pool's readers report.
type collector struct {
	mu     sync.Mutex
	stamps []int64
	got    chan struct{} // a signal per event
}

func newCollector() *collector { return &collector{got: make(chan struct{}, 1024)} }

func (c *collector) event(_, stamp int64, ok bool) {
	if !ok {
		stamp = -1
	}
	c.mu.Lock()
	c.stamps = append(c.stamps, stamp)
	c.mu.Unlock()
	c.got <- struct{}{}
}

// wait returns the first n stamps reported, sorted.
func (c *collector) wait(n int) []int64 {
	for range n {
		<-c.got
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(slices.Values(c.stamps))
}

func openPool(t *testing.T, rawURL string, n int, onEvent func(now, stamp int64, ok bool)) *pool {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPool(poolConfig{URL: u, SrcIPs: 3, Concurrency: 2}, onEvent)
	if err != nil {
		t.Fatal(err)
	}
	p.open(t.Context(), n)
	return p
}

// A net/http server streams with chunked coding, flushing each event: every client reads every
// event's stamp, whatever the chunks.
func TestPoolChunkedStream(t *testing.T) {
	events := make(chan string)
	var joined sync.WaitGroup
	joined.Add(3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		joined.Done()
		for {
			select {
			case ev := <-events:
				fmt.Fprint(w, ev)
				http.NewResponseController(w).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer srv.Close()
	c := newCollector()
	p := openPool(t, srv.URL+"/subscribe_events?domain=light", 3, c.event)
	defer p.close()
	joined.Wait()
	if got := p.established.Load(); got != 3 {
		t.Fatalf("established %d, want 3 (errors %v)", got, p.errorCounts())
	}
	for _, ev := range []string{"retry: 1000\n\n: ping\n\n", "id: 1\ndata: {\"ts\":11}\n\n", "data: {}\n\n"} {
		for range 3 {
			events <- ev
		}
	}
	if diff := cmp.Diff([]int64{-1, -1, -1, 11, 11, 11}, c.wait(6)); diff != "" {
		t.Errorf("stamps (-want +got; -1: none):\n%s", diff)
	}
}

func TestPoolRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"SERVICE_OVERLOADED"}`, http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p := openPool(t, srv.URL, 4, nil)
	defer p.close()
	if diff := cmp.Diff(map[string]int{"HTTP 503": 4}, p.errorCounts()); diff != "" || p.established.Load() != 0 {
		t.Errorf("established %d, errors (-want +got):\n%s", p.established.Load(), diff)
	}
}

func TestNewPoolChecks(t *testing.T) {
	for _, tc := range []struct {
		url     string
		headers []string
	}{
		{"https://127.0.0.1/x", nil},
		{"/relative", nil},
		{"http://127.0.0.1/x", []string{"no colon"}},
	} {
		u, _ := url.Parse(tc.url)
		if _, err := newPool(poolConfig{URL: u, Headers: tc.headers}, nil); err == nil {
			t.Errorf("newPool(%q, headers %q): no error, want one", tc.url, tc.headers)
		}
	}
}

// The ceiling writes each published body, framed once, to every connection.
func TestCeiling(t *testing.T) {
	c := newCeiling(2)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { c.run(ctx) })
	srv := httptest.NewServer(c.handler())
	defer func() { cancel(); wg.Wait(); srv.Close() }()
	col := newCollector()
	p := openPool(t, srv.URL+"/sse", 4, col.event)
	defer p.close()
	pub := newRawPublisher(srv.URL+"/publish", 10, 1)
	for seq := range int64(2) {
		if err := pub.publish(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	got := col.wait(8)
	if got[0] != got[3] || got[4] != got[7] || got[0] >= got[4] {
		t.Errorf("stamps %v, want two stamps, each read by all 4 clients", got)
	}
}
