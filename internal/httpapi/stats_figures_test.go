package httpapi

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/geo"
	"hasse/internal/geo/geotest"
	"hasse/internal/hub"
	"hasse/internal/stats"
	"hasse/internal/store"
	"hasse/internal/testcert"
	"hasse/internal/testwait"
)

// rawStream is a stream read from a plain TCP connection, every byte counted as it arrives.
type rawStream struct {
	conn  net.Conn
	mu    sync.Mutex
	bytes []byte
	done  chan struct{}
}

// openRaw sends a GET for target with the extra header lines and reads the response, head and
// body as they come, until the test ends.
func openRaw(t *testing.T, addr, target string, header ...string) *rawStream {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	req := "GET " + target + " HTTP/1.1\r\nHost: " + addr + "\r\n" + strings.Join(header, "\r\n")
	if len(header) > 0 {
		req += "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	rs := &rawStream{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(rs.done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			rs.mu.Lock()
			rs.bytes = append(rs.bytes, buf[:n]...)
			rs.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-rs.done })
	return rs
}

func (rs *rawStream) read() string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return string(rs.bytes)
}

// connectionsBy returns the open connections from GET /api/sse/connections by client id.
func (e *statsEnv) connectionsBy(t *testing.T) map[string]map[string]any {
	t.Helper()
	_, got := e.call(t, "GET", "/api/sse/connections", adminToken, "")
	out := map[string]map[string]any{}
	for _, c := range got["data"].(map[string]any)["connections"].([]any) {
		conn := c.(map[string]any)
		out[conn["client_id"].(string)] = conn
	}
	return out
}

func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// TestStatsShowWhereAndHowStreamsRun opens a plain HTTP/1.1 stream through a trusted proxy from
// an address a configured geographic database places in Stockholm, and one from loopback, and
// reads their protocol, place, duration and bytes, and the writer pool's load, on the REST
// routes, the WebSocket API and /metrics. The bytes the statistics count are the bytes the
// client read.
func TestStatsShowWhereAndHowStreamsRun(t *testing.T) {
	db, err := geo.Open(geotest.Write(t, geotest.Entry{Network: "203.0.113.0/24", Country: "SE", City: "Stockholm"}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := newStatsEnv(t, Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		stats.Config{Interval: 50 * time.Millisecond, Geo: db, MaxClients: 100})
	addr := strings.TrimPrefix(env.url, "http://")
	far := openRaw(t, addr, "/subscribe_events?client_id=far", "Authorization: Bearer "+adminToken, "X-Forwarded-For: 203.0.113.7")
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?client_id=near", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	_, near := openStream(t, req)
	next(t, near)
	testwait.For(t, 10*time.Second, "both streams open", func() bool { return env.hub.Clients() == 2 })
	for i := range 5 {
		env.hub.Publish(stateEvent("light.kitchen", fmt.Sprint(i)))
		next(t, near)
	}
	testwait.For(t, 10*time.Second, "5 events on the raw stream", func() bool { return strings.Count(far.read(), "\nid: ") == 5 })

	var conns map[string]map[string]any
	testwait.For(t, 10*time.Second, "the far stream's bytes counted", func() bool { // counted just after the write returns
		conns = env.connectionsBy(t)
		return conns["far"]["bytes_sent"] == float64(len(far.read()))
	})
	f := conns["far"]
	for k, want := range map[string]any{"protocol": "HTTP/1.1", "tls": false, "network": "public", "ip_version": "IPv4",
		"country": "SE", "city": "Stockholm", "ip_address": "203.0.113.7"} {
		if f[k] != want {
			t.Errorf("far stream's %s = %v, want %v", k, f[k], want)
		}
	}
	if d, _ := f["duration"].(float64); d <= 0 {
		t.Errorf("far stream's duration = %v, want > 0", f["duration"])
	}
	if conns["near"]["network"] != "loopback" || conns["near"]["country"] != nil {
		t.Errorf("near stream = %v, want loopback without a country", conns["near"])
	}
	_, st := env.call(t, "GET", "/api/sse/stats", adminToken, "")
	data := st["data"]
	for _, check := range []struct {
		keys []string
		want any
	}{
		{[]string{"geography", "countries", "SE"}, 1.0},
		{[]string{"geography", "cities", "Stockholm, SE"}, 1.0},
		{[]string{"geography", "networks", "public"}, 1.0},
		{[]string{"geography", "networks", "loopback"}, 1.0},
		{[]string{"geography", "ip_versions", "IPv4"}, 2.0},
		{[]string{"geography", "database"}, "hasse-test-City"},
		{[]string{"protocols", "HTTP/1.1"}, 2.0},
		{[]string{"tls_connections"}, 0.0},
		{[]string{"connection_pool", "limit"}, 100.0},
		{[]string{"connection_pool", "open"}, 2.0},
		{[]string{"connection_pool", "available"}, 98.0},
		{[]string{"connection_pool", "pooled"}, 2.0}, // plain HTTP/1.1 streams are the pool's
		{[]string{"thread_pool", "gomaxprocs"}, float64(runtime.GOMAXPROCS(0))},
		{[]string{"thread_pool", "writers"}, float64(runtime.GOMAXPROCS(0))},
	} {
		if got := path(data, check.keys...); got != check.want {
			t.Errorf("stats %s = %v, want %v", strings.Join(check.keys, "."), got, check.want)
		}
	}
	if n, _ := path(data, "bytes_sent").(float64); n < float64(len(far.read())) {
		t.Errorf("stats bytes_sent = %v, less than the far stream alone read (%d)", n, len(far.read()))
	}
	_, cl := env.call(t, "GET", "/api/sse/stats?scope=cluster", adminToken, "")
	if n, _ := path(cl, "data", "totals", "bytes_sent").(float64); n < float64(len(far.read())) {
		t.Errorf("cluster totals = %v, want the bytes sent", path(cl, "data", "totals"))
	}
	if g, _ := path(data, "thread_pool", "goroutines").(float64); g < 1 {
		t.Errorf("thread_pool = %v", path(data, "thread_pool"))
	}
	dist := path(data, "connection_duration", "distribution").([]any)
	total := 0.0
	for _, b := range dist {
		total += path(b, "count").(float64)
	}
	if len(dist) != 7 || path(dist[0], "range") != "<10s" || total != 2 {
		t.Errorf("connection_duration = %v, want both open connections in its 7 buckets", path(data, "connection_duration"))
	}
	testwait.For(t, 10*time.Second, "bandwidth in the hour's metrics", func() bool {
		_, m := env.call(t, "GET", "/api/sse/metrics?period=1h", adminToken, "")
		n, _ := path(m, "data", "metrics", "resources", "network", "bytes_sent").(float64)
		return n >= float64(len(far.read()))
	})
	testwait.For(t, 10*time.Second, "bandwidth in the history", func() bool {
		_, h := env.call(t, "GET", "/api/sse/history?period=1h", adminToken, "")
		for _, p := range path(h, "data", "series").([]any) {
			if r, _ := path(p, "bytes_per_second").(float64); r > 0 {
				return true
			}
		}
		return false
	})

	conn, _, err := dialStats(t, env, "/api/sse/ws", http.Header{"Authorization": {"Bearer " + adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	wsRecv(t, conn) // auth_ok
	wsSend(t, conn, `{"id":1,"type":"get_sse_connection","connection_id":"`+f["id"].(string)+`"}`)
	if got := wsRecv(t, conn); path(got, "data", "connection", "country") != "SE" || path(got, "data", "connection", "protocol") != "HTTP/1.1" {
		t.Errorf("WebSocket get_sse_connection = %v, want the far stream in SE over HTTP/1.1", got)
	}
	wsSend(t, conn, `{"id":2,"type":"get_sse_stats"}`)
	if got := wsRecv(t, conn); path(got, "data", "geography", "countries", "SE") != 1.0 || path(got, "data", "connection_pool", "pooled") != 2.0 {
		t.Errorf("WebSocket get_sse_stats = %v, want one connection from SE, two pooled", got)
	}

	_, body := do(t, adminRequest(t, env.url+"/metrics"))
	for _, line := range []string{
		`hasse_sse_clients_by_country{country="SE"} 1`,
		`hasse_sse_clients_by_network{ip_version="IPv4",network="public"} 1`,
		`hasse_sse_clients_by_network{ip_version="IPv4",network="loopback"} 1`,
		`hasse_sse_clients_by_protocol{protocol="HTTP/1.1",tls="false"} 2`,
		`hasse_sse_clients_limit 100`,
		`hasse_writer_shard_connections{shard="0"}`,
		`hasse_writer_shard_bytes_total{shard="0"}`,
		`hasse_sse_bytes_sent_total `,
		`hasse_sse_connection_duration_seconds_bucket{le="10"}`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// adminRequest is a GET of url with the administrator's token.
func adminRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	return req
}

// TestHTTP2StreamShowsAsHTTP2 opens a stream over HTTPS with HTTP/2 and reads its protocol and
// TLS version, as the statistics show them.
func TestHTTP2StreamShowsAsHTTP2(t *testing.T) {
	certFile, keyFile, pool := testcert.Write(t, t.TempDir())
	env := newStatsEnv(t, Config{TLSCert: certFile, TLSKey: keyFile}, stats.Config{Interval: 50 * time.Millisecond})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", env.url+"/subscribe_events?client_id=h2", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("the stream is %s, want HTTP/2", resp.Proto)
	}
	var read atomic.Int64
	events := make(chan sse.Event, 16)
	go func() {
		defer close(events)
		for ev, err := range sse.Read(countingReader{resp.Body, &read}, nil) {
			if err != nil {
				return
			}
			events <- ev
		}
	}()
	next(t, events)
	env.hub.Publish(stateEvent("light.a", "on"))
	next(t, events)

	get := func(target string) map[string]any {
		req, _ := http.NewRequest("GET", env.url+target, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	var c any
	testwait.For(t, 10*time.Second, "the stream's bytes counted", func() bool {
		c = path(get("/api/sse/connections"), "data", "connections").([]any)[0]
		return path(c, "bytes_sent") == float64(read.Load()) // the SSE payload: HTTP/2 frames it
	})
	for k, want := range map[string]any{"protocol": "HTTP/2.0", "tls": true, "tls_version": "TLS 1.3", "client_id": "h2"} {
		if got := path(c, k); got != want {
			t.Errorf("connection %s = %v, want %v", k, got, want)
		}
	}
	st := get("/api/sse/stats")
	if path(st, "data", "protocols", "HTTP/2.0") != 1.0 || path(st, "data", "tls_connections") != 1.0 ||
		path(st, "data", "connection_pool", "pooled") != 0.0 {
		t.Errorf("stats: protocols %v, %v over TLS, %v pooled; want one HTTP/2.0 over TLS, written by its handler",
			path(st, "data", "protocols"), path(st, "data", "tls_connections"), path(st, "data", "connection_pool", "pooled"))
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestSlowConsumerLowersDeliverySuccess: a client that reads nothing is dropped, and the events
// it never got lower the delivery success rate on every surface that shows it; an alert on it
// fires.
func TestSlowConsumerLowersDeliverySuccess(t *testing.T) {
	rules, err := stats.ParseRules("delivery_success_rate<100")
	if err != nil {
		t.Fatal(err)
	}
	env := newStatsEnvHub(t, Config{}, stats.Config{Interval: 20 * time.Millisecond, Rules: rules}, hub.Config{QueueBytes: 16 << 10})
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?client_id=reader", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	_, reader := openStream(t, req)
	next(t, reader)
	stalled, err := net.Dial("tcp", strings.TrimPrefix(env.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	_ = stalled.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(stalled, "GET /subscribe_events?client_id=stalled HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", adminToken)
	testwait.For(t, 10*time.Second, "the stalled stream open", func() bool { return env.hub.Clients() == 2 })
	big := strings.Repeat("x", 8<<10)
	for i := 0; env.hub.Dropped() == 0; i++ {
		if i == 5000 {
			t.Fatal("the stalled client was not dropped after 5000 events of 8 KiB")
		}
		env.hub.Publish(stateEvent("sensor.big", big+fmt.Sprint(i)))
		next(t, reader) // the reader keeps up
	}

	testwait.For(t, 10*time.Second, "undelivered events in the statistics", func() bool {
		_, st := env.call(t, "GET", "/api/sse/stats", adminToken, "")
		u, _ := path(st, "data", "delivery", "undelivered").(float64)
		r, _ := path(st, "data", "delivery", "success_rate").(float64)
		return u > 0 && r < 100
	})
	testwait.For(t, 10*time.Second, "a lower success rate in the hour's metrics", func() bool {
		_, m := env.call(t, "GET", "/api/sse/metrics?period=1h", adminToken, "")
		lowest, _ := path(m, "data", "metrics", "events", "delivery", "success_rate", "min").(float64)
		u, _ := path(m, "data", "metrics", "events", "delivery", "undelivered").(float64)
		return lowest < 100 && u > 0
	})
	// The alert fires on the sample that counted the undelivered events and resolves on the
	// next one, 20 ms later, when every event reached its client again: it is active or, once
	// resolved, among the recent alerts, having fired. (Looking only at the active ones missed
	// it whenever the test was slower than one interval.)
	testwait.For(t, 10*time.Second, "the alert firing", func() bool {
		_, a := env.call(t, "GET", "/api/sse/alerts", adminToken, "")
		for _, al := range append(path(a, "data", "active").([]any), path(a, "data", "recent").([]any)...) {
			fired := path(al, "state") == "firing" || (path(al, "state") == "resolved" && path(al, "fired_at") != nil)
			if path(al, "rule") == "delivery_success_rate" && fired && path(al, "below") == true {
				return true
			}
		}
		return false
	})
	testwait.For(t, 10*time.Second, "the history", func() bool {
		_, h := env.call(t, "GET", "/api/sse/history?period=1h", adminToken, "")
		low := false
		for _, p := range path(h, "data", "series").([]any) {
			if r, _ := path(p, "delivery_success_rate").(float64); r < 100 {
				low = true
			}
		}
		for _, c := range path(h, "data", "closed_connections").([]any) {
			if path(c, "client_id") == "stalled" && path(c, "reason") == "slow_consumer" && low {
				b, _ := path(c, "bytes_sent").(float64)
				return b > 0 && path(c, "protocol") == "HTTP/1.1"
			}
		}
		return false
	})
	_, body := do(t, adminRequest(t, env.url+"/metrics"))
	if !strings.Contains(string(body), "hasse_sse_events_undelivered_total ") || strings.Contains(string(body), "hasse_sse_events_undelivered_total 0\n") {
		t.Errorf("/metrics: no undelivered events counted")
	}
}

// TestHistoryWritesShowAsDiskIO: the statistics history file's writes are counted as the
// process's disk I/O.
func TestHistoryWritesShowAsDiskIO(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "stats.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := newStatsEnv(t, Config{}, stats.Config{Interval: 20 * time.Millisecond, Store: db})
	testwait.For(t, 10*time.Second, "history writes counted", func() bool {
		_, st := env.call(t, "GET", "/api/sse/stats", adminToken, "")
		n, _ := path(st, "data", "disk_io", "history_writes").(float64)
		s, _ := path(st, "data", "disk_io", "history_write_seconds").(float64)
		_, m := env.call(t, "GET", "/api/sse/metrics?period=1h", adminToken, "")
		p, _ := path(m, "data", "metrics", "resources", "disk", "history_writes").(float64)
		return n > 0 && s > 0 && p > 0
	})
	_, body := do(t, adminRequest(t, env.url+"/metrics"))
	if !strings.Contains(string(body), "hasse_stats_history_writes_total ") {
		t.Errorf("/metrics lacks hasse_stats_history_writes_total")
	}
	rd := bufio.NewScanner(strings.NewReader(string(body)))
	for rd.Scan() {
		if strings.HasPrefix(rd.Text(), "hasse_stats_history_writes_total 0") {
			t.Errorf("/metrics: %s", rd.Text())
		}
	}
}
