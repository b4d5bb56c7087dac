//go:build e2e

package main

import (
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/geo/geotest"
)

// These tests open the dashboard that the gateway serves at / in headless Chromium, driven by
// e2e/dashboard/dashboard.mjs, which prints one JSON line per step it sees. The screenshots land
// in build/; docs/dashboard.png is a copy of build/dashboard-desktop.png.

// dashLine is one line of dashboard.mjs.
type dashLine struct {
	Kind        string   `json:"kind"`
	URL         string   `json:"url"`         // page, signed_in, leak
	Type        string   `json:"type"`        // console: log, error, …
	Text        string   `json:"text"`        // console, pageerror, refused, alert
	App         bool     `json:"app"`         // refused: whether the dashboard showed anyway
	Login       bool     `json:"login"`       // live: whether the sign-in form showed
	Connections int      `json:"connections"` // the count the page shows
	Cells       []string `json:"cells"`       // probe_shown: the probe's row
	Domains     []string `json:"domains"`     // feed: each listed event's domain
	Path        string   `json:"path"`        // screenshot
	// facts: the labels of the geography and pool panels' lists, the process facts, and the
	// place the table shows for the client from abroad
	Networks  []string `json:"networks"`
	Countries []string `json:"countries"`
	Cities    []string `json:"cities"`
	Protocols []string `json:"protocols"`
	Ages      []string `json:"ages"`
	Writers   int      `json:"writers"`
	Process   string   `json:"process"`
	Place     string   `json:"place"`
	Delivered string   `json:"delivered"`
	Bandwidth string   `json:"bandwidth"`
}

// dashDriver is dashboard.mjs running.
type dashDriver struct {
	t     *testing.T
	lines <-chan string
	seen  []string // for failure messages
}

func startDashboard(t *testing.T, base, token, shots string) *dashDriver {
	t.Helper()
	return &dashDriver{t: t, lines: startNode(t, 150*time.Second, "dashboard/dashboard.mjs", base, token, shots)}
}

// next returns the next line of the given kind. Console errors, uncaught exceptions and a token
// in a request URL fail the test on the way.
func (d *dashDriver) next(kind string) dashLine {
	d.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case s, ok := <-d.lines:
			if !ok {
				d.t.Fatalf("dashboard.mjs ended before %q; it printed:\n%s", kind, d.output())
			}
			d.seen = append(d.seen, s)
			var l dashLine
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				d.t.Fatalf("dashboard.mjs printed %q: %v", s, err)
			}
			switch {
			case l.Kind == "pageerror", l.Kind == "console" && l.Type == "error":
				d.t.Fatalf("the page reported %s: %s", l.Kind, l.Text)
			case l.Kind == "leak":
				d.t.Fatalf("the page put the token in a URL: %s", l.URL)
			case l.Kind == kind:
				return l
			}
		case <-deadline:
			d.t.Fatalf("no %q line within 60s; the page printed:\n%s", kind, d.output())
		}
	}
}

func (d *dashDriver) output() string {
	return strings.Join(d.seen[max(0, len(d.seen)-40):], "\n")
}

// sseClient is a Go client of the demo's SSE endpoint, read until its stream ends.
type sseClient struct {
	done       chan struct{} // closed when the stream has ended
	disconnect string        // the reason of the disconnect event, if one came; read after done
}

// openSSE opens the demo's SSE endpoint with query and returns once the connection event came.
// header holds extra header names and values, in pairs.
func openSSE(t *testing.T, d *demoInstance, query string, header ...string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", d.base+"/subscribe_events?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET /subscribe_events?%s: %s", query, resp.Status)
	}
	c := &sseClient{done: make(chan struct{})}
	connected := make(chan struct{})
	go func() {
		defer close(c.done)
		first := true
		for ev, err := range sse.Read(resp.Body, &sse.ReadConfig{MaxEventSize: 1 << 20}) {
			if err != nil {
				return
			}
			if first {
				close(connected)
				first = false
			}
			var m struct{ Type, Reason string }
			_ = json.Unmarshal([]byte(ev.Data), &m)
			if m.Type == "disconnect" || ev.Type == "disconnect" { // envelope or named
				c.disconnect = m.Reason
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-c.done })
	select {
	case <-connected:
	case <-c.done:
		t.Fatalf("stream %s ended before its connection event", query)
	case <-time.After(20 * time.Second):
		t.Fatalf("stream %s: no connection event within 20s", query)
	}
	return c
}

// checkRoutes checks the dashboard's place among the routes: the page at /, its assets under
// /dashboard/, the JSON 404 everywhere else, GET and HEAD only.
func checkRoutes(t *testing.T, base string) {
	t.Helper()
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
		body         string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", "<title>hasse dashboard</title>"},
		{"HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/dashboard/app.js", 200, "text/javascript; charset=utf-8", "StatsSocket"},
		{"GET", "/dashboard/vendor/uplot/uPlot.iife.min.js", 200, "text/javascript; charset=utf-8", "uPlot"},
		{"GET", "/nope", 404, "application/json; charset=utf-8", `"error_code":"NOT_FOUND"`},
		{"GET", "/dashboard/nope.js", 404, "application/json; charset=utf-8", `"error_code":"NOT_FOUND"`},
		{"POST", "/", 405, "application/json; charset=utf-8", `"error_code":"METHOD_NOT_ALLOWED"`},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != tc.status || ct != tc.contentType || !strings.Contains(string(body), tc.body) {
			t.Errorf("%s %s: %d %q %.80q, want %d %q with %q", tc.method, tc.path, resp.StatusCode, ct, body, tc.status, tc.contentType, tc.body)
		}
	}
}

// buildDir returns build/ at the repository's root, made if missing; it ignores itself, so its
// screenshots are never committed by accident.
func buildDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "build"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Sign in with the demo's token (after a wrong one is refused), see a client come with its
// protocol, duration and bytes, disconnect it with its button and see it go, see where the
// clients connect from (a test database places one, coming through a trusted proxy, in
// Stockholm) and the pools, follow the live feed, see an alert fire; screenshots in build/.
func TestBrowserDashboard(t *testing.T) {
	geoDB := geotest.Write(t, geotest.Entry{Network: "203.0.113.0/24", Country: "SE", City: "Stockholm"})
	d := startDemo(t, []string{"MCP_SSE_GEOIP_DB=" + geoDB, "MCP_HTTP_TRUSTED_PROXIES=127.0.0.1"}, "--seed", "3", "--rate", "40")
	checkRoutes(t, d.base)
	// Clients that are there before the page opens, so its table and charts have something to show.
	for _, q := range []string{
		"client_id=kitchen-tablet&domain=light,switch&entity_id=sensor.kitchen_*",
		"client_id=energy-logger&entity_id=sensor.*power*&events=state_changed&format=named",
	} {
		openSSE(t, d, q)
	}
	openSSE(t, d, "client_id=automation-audit&events=automation_triggered,call_service", "X-Forwarded-For", "203.0.113.80")
	// An alert that these three clients set off at the next sample.
	req, _ := http.NewRequest("PUT", d.base+"/api/sse/alerts", strings.NewReader(`{"rules":[{"name":"busy","metric":"connections","threshold":2,"for":"0s"}]}`))
	req.Header.Set("Authorization", "Bearer "+d.token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /api/sse/alerts: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	shots := buildDir(t)
	for _, name := range []string{"dashboard-desktop.png", "dashboard-phone.png"} {
		_ = os.Remove(filepath.Join(shots, name)) // so that an old one cannot pass for a new one
	}
	p := startDashboard(t, d.base, d.token, shots)

	if l := p.next("refused"); l.App || !strings.Contains(l.Text, "refused") {
		t.Errorf("a wrong token: the page said %q and showed the dashboard: %v; want it refused, still signed out", l.Text, l.App)
	}
	in := p.next("signed_in")
	if in.URL != d.base+"/" || in.Connections != 3 {
		t.Errorf("signed in at %s showing %d connections, want %s/ (no token in the URL) and the 3 clients", in.URL, in.Connections, d.base)
	}

	probe := openSSE(t, d, "client_id=dashboard-probe&domain=light")
	shown := p.next("probe_shown")
	if shown.Connections != 4 || !slices.ContainsFunc(shown.Cells, func(c string) bool { return strings.Contains(c, "light") }) {
		t.Errorf("with the probe connected the page shows %d connections and its row %q; want 4 and its filter domain=light", shown.Connections, shown.Cells)
	}
	for _, want := range []struct {
		what string
		re   *regexp.Regexp
	}{
		{"its duration", regexp.MustCompile(`^\d+s$`)},
		{"its protocol", regexp.MustCompile(`^HTTP/1\.1plain$`)},
		{"its bytes and rate", regexp.MustCompile(`^\d+(\.\d)? (B|KiB)\d+(\.\d)? (B|KiB)/s$`)},
		{"its place", regexp.MustCompile(`^127\.0\.0\.1loopback`)},
	} {
		if !slices.ContainsFunc(shown.Cells, want.re.MatchString) {
			t.Errorf("the probe's row %q does not show %s (%s)", shown.Cells, want.what, want.re)
		}
	}
	p.next("clicked")
	select {
	case <-probe.done:
		if probe.disconnect != "closed_by_admin" {
			t.Errorf("the probe's stream ended with disconnect reason %q, want closed_by_admin", probe.disconnect)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the probe's stream was still open 20s after the Disconnect button was pressed")
	}
	if gone := p.next("probe_gone"); gone.Connections != 3 {
		t.Errorf("after the disconnect the page shows %d connections, want 3", gone.Connections)
	}

	facts := p.next("facts")
	for _, check := range []struct {
		what      string
		got, want []string
	}{
		{"networks", facts.Networks, []string{"loopback", "public"}},
		{"countries", facts.Countries, []string{"SE"}},
		{"cities", facts.Cities, []string{"Stockholm, SE"}},
		{"protocols", facts.Protocols, []string{"HTTP/1.1"}},
	} {
		slices.Sort(check.got)
		if !slices.Equal(check.got, check.want) {
			t.Errorf("the geography and pools panels list %s %q, want %q", check.what, check.got, check.want)
		}
	}
	if len(facts.Ages) != 7 || facts.Writers < 1 || !strings.Contains(facts.Process, "Goroutines") || !strings.Contains(facts.Process, "GOMAXPROCS") {
		t.Errorf("the pools panel: ages %q, %d writers, process %q", facts.Ages, facts.Writers, facts.Process)
	}
	if facts.Place != "Stockholm, SE" || !strings.HasSuffix(facts.Delivered, "%") || !strings.HasSuffix(facts.Bandwidth, "/s") {
		t.Errorf("the client from 203.0.113.80 is placed at %q; cards: delivered %q, bandwidth %q", facts.Place, facts.Delivered, facts.Bandwidth)
	}

	feed := p.next("feed")
	for _, dom := range feed.Domains {
		if dom != "light" {
			t.Errorf("the live feed with domain=light listed events of domains %q", feed.Domains)
			break
		}
	}
	if l := p.next("alert"); !strings.Contains(l.Text, "firing") || !strings.Contains(l.Text, "busy") {
		t.Errorf("the firing alert reads %q, want the rule busy, firing", l.Text)
	}
	for _, want := range []struct {
		name  string
		width int
	}{{"dashboard-desktop.png", 1280}, {"dashboard-phone.png", 390 * 2}} {
		l := p.next("screenshot")
		f, err := os.Open(l.Path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if filepath.Base(l.Path) != want.name || err != nil || cfg.Width != want.width || cfg.Height < 800 {
			t.Errorf("screenshot %s: %dx%d (%v), want %s %d wide", l.Path, cfg.Width, cfg.Height, err, want.name, want.width)
		}
	}
	p.next("done")
}

// Under auth none the page is live without asking for a token.
func TestBrowserDashboardAuthNone(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none"}, "--rate", "40")
	p := startDashboard(t, d.base, "", t.TempDir())
	if l := p.next("live"); l.Login || l.Connections != 0 {
		t.Errorf("auth none: sign-in form shown %v, %d connections; want no form and 0", l.Login, l.Connections)
	}
	p.next("done")
}
