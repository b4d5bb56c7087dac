package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"hasse/internal/auth"
	"hasse/internal/hub"
	"hasse/internal/pipenet"
	"hasse/internal/ssetest"
	"hasse/internal/stats"
)

// statsEnv is a server with a running hub and statistics collector.
type statsEnv struct {
	url    string       // the served Server's base URL
	client *http.Client // reaches url (plain HTTP)
	srv    *Server
	hub    *hub.Hub
	stats  *stats.Collector
	stop   func() // ends the hub, the collector and the server and waits for them; the test's end calls it too
}

// newStatsEnv serves the statistics tool on a TCP port until the test ends. Tokens: adminToken
// (admin) and "wall-secret" (user wall, not an admin).
func newStatsEnv(t *testing.T, cfg Config, scfg stats.Config) *statsEnv {
	t.Helper()
	return newStatsEnvHub(t, cfg, scfg, hub.Config{})
}

// newStatsEnvHub is newStatsEnv with a hub configured by hcfg. With cfg.TLSCert the server
// serves HTTPS, and url begins with https.
func newStatsEnvHub(t *testing.T, cfg Config, scfg stats.Config, hcfg hub.Config) *statsEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := startStatsEnv(t, cfg, scfg, hcfg, func(ctx context.Context, s *Server) { _ = s.Serve(ctx, ln) })
	scheme := "http://"
	if cfg.TLSCert != "" {
		scheme = "https://"
	}
	env.url, env.client = scheme+ln.Addr().String(), noRedirects(http.DefaultTransport)
	return env
}

// newPipeStatsEnv is newStatsEnv over in-memory connections, for a synctest bubble: its clock
// moves only when every goroutine of the test waits, so durations the server measures are the
// test's own. Streams are written by their handlers (Serve's pooled writers use epoll, which a
// bubble cannot wait on).
func newPipeStatsEnv(t *testing.T, cfg Config, scfg stats.Config) *statsEnv {
	t.Helper()
	ln := pipenet.Listen()
	tr := &http.Transport{DialContext: ln.DialContext}
	env := startStatsEnv(t, cfg, scfg, hub.Config{}, func(ctx context.Context, s *Server) {
		hs := s.httpServer(ctx, nil) // as Serve configures it, without the writer pool, which a bubble cannot run
		go func() { <-ctx.Done(); _ = hs.Close(); tr.CloseIdleConnections() }()
		_ = hs.Serve(ln)
	})
	env.url, env.client = "http://hasse", noRedirects(tr)
	return env
}

// noRedirects is a client of rt that returns redirects as they are.
func noRedirects(rt http.RoundTripper) *http.Client {
	return &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// startStatsEnv builds the server, the hub (hcfg) and the collector, and runs them and serve
// until the test ends.
func startStatsEnv(t *testing.T, cfg Config, scfg stats.Config, hcfg hub.Config, serve func(context.Context, *Server)) *statsEnv {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	m := new(stats.Meter)
	var c *stats.Collector
	hcfg.Meter, hcfg.OnClose = m, func(cl *hub.Client) { c.Unregistered(cl) }
	h, err := hub.New(hcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	c, err = stats.New(scfg, h, m, log)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewStatic([]auth.Entry{
		{Name: "admin", Token: adminToken, Admin: true},
		{Name: "wall", Token: "wall-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Auth = cmp.Or(cfg.Auth, AuthTokens)
	cfg.Stats = c
	var s *Server
	reg := prometheus.NewRegistry()
	reg.MustRegister(c.Prometheus(stats.PromSources{
		Link:        func() stats.Link { return stats.Link{Connected: true, Reconnects: 2} },
		RateLimited: func() int64 { return s.RateLimited() },
	}))
	cfg.Metrics = reg
	s, err = New(cfg, h, tokens, func() LinkStatus { return LinkStatus{Connected: true} }, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	wg.Go(func() { _ = c.Run(ctx) })
	wg.Go(func() { serve(ctx, s) })
	env := &statsEnv{srv: s, hub: h, stats: c}
	env.stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	t.Cleanup(env.stop)
	return env
}

// get requests target with the admin token and decodes the body.
func (e *statsEnv) call(t *testing.T, method, target, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, b := ssetest.Do(t, e.client, req)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, target, b, err)
	}
	return resp.StatusCode, v
}

// missingKeys lists, as paths, every key of want (decoded JSON) that got lacks or holds with
// another JSON kind. Arrays are compared by their first elements. Extra keys in got are fine.
func missingKeys(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want an object", path, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, missingKeys(wv, gv, path+"."+k)...)
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		switch {
		case !ok:
			return []string{fmt.Sprintf("%s: %T, want an array", path, got)}
		case len(w) > 0 && len(g) == 0:
			return []string{path + ": empty array, want elements"}
		case len(w) > 0:
			return missingKeys(w[0], g[0], path+"[0]")
		}
		return nil
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			return []string{fmt.Sprintf("%s: %T (%v), want %T", path, got, got, want)}
		}
		return nil
	}
}

func mustJSON(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("bad JSON in test: %v", err)
	}
	return v
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
