//go:build e2e

package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hasse/internal/testcert"
)

// These tests put Chromium's own EventSource, left to itself, where neither our own client
// (clients_e2e_test.go) nor the seeds' snippets take it: its own reconnect with Last-Event-ID across
// cut connections (SPEC.md §4.5) and many streams from one page over HTTP/2 (§5.4). Their
// drivers, e2e/browser/resume.mjs and h2.mjs, serve a page from another origin than the gateway
// and print one JSON line per thing it sees; see e2e/browser/page.mjs.

// driverLine is one line of a driver.
type driverLine struct {
	Kind        string `json:"kind"` // page, open, error, message, response, console, pageerror
	URL         string `json:"url"`  // page, response
	N           int    `json:"n"`    // resume.mjs: the page's count of its reports
	Stream      int    `json:"stream"`
	LastEventID string `json:"lastEventId"` // message: MessageEvent.lastEventId
	Type        string `json:"type"`        // message: the envelope's type; console: log, error, …
	ID          string `json:"id"`          // message: the envelope's id
	Resumed     *bool  `json:"resumed"`     // message: the connection event's
	Reason      string `json:"reason"`      // message: a gap's or error's
	Protocol    string `json:"protocol"`    // response: h2, http/1.1
	Status      int    `json:"status"`      // response
	ReadyState  int    `json:"readyState"`  // error: the EventSource's after it
	Text        string `json:"text"`        // console, pageerror
}

// browserDriver is a driver script running its page in Chromium.
type browserDriver struct {
	t     *testing.T
	lines <-chan string // closed when the driver ends
	seen  []string      // for failure messages
}

// startDriver runs node e2e/browser/<script> args… until the test ends and checks that its first
// line is a page on another origin than gateway.
func startDriver(t *testing.T, gateway, script string, args ...string) *browserDriver {
	t.Helper()
	raw := startNode(t, 60*time.Second, "browser/"+script, args...)
	d := &browserDriver{t: t, lines: raw}
	select {
	case s, ok := <-raw:
		if !ok {
			t.Fatalf("%s ended before its page loaded", script)
		}
		first := d.decode(s)
		page, err := url.Parse(first.URL)
		gw, _ := url.Parse(gateway)
		if first.Kind != "page" || err != nil || page.Host == gw.Host {
			t.Fatalf("first line %s: want the page, on another origin than the gateway %s", s, gateway)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s loaded no page within 30s", script)
	}
	return d
}

// decode reads one line of the driver; an uncaught exception in the page fails the test.
func (d *browserDriver) decode(s string) driverLine {
	d.t.Helper()
	d.seen = append(d.seen, s)
	var l driverLine
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		d.t.Fatalf("the driver printed %q: %v", s, err)
	}
	if l.Kind == "pageerror" {
		d.t.Fatalf("the page threw: %s", l.Text)
	}
	return l
}

func (d *browserDriver) output() string {
	return strings.Join(d.seen[max(0, len(d.seen)-40):], "\n")
}

// controlTypes are the envelope's events without an id (SPEC.md §4.4).
var controlTypes = map[string]bool{"connection": true, "ping": true, "error": true, "gap": true, "disconnect": true}

// TestBrowserResumeAcrossCuts: a page's EventSource reads every event of the demo through a
// proxy that the test cuts three times at random moments. Chromium reconnects by itself with
// Last-Event-ID and the gateway replays what the page missed: it sees every event id once, in
// sequence, across all four connections.
func TestBrowserResumeAcrossCuts(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*"}, "--rate", "40")
	proxy := startCutProxy(t, strings.TrimPrefix(d.base, "http://"))
	stream := "http://" + proxy.ln.Addr().String() + "/subscribe_events"
	drv := startDriver(t, stream, "resume.mjs", stream)

	seed := mrand.Uint64()
	rnd := mrand.New(mrand.NewPCG(seed, seed>>1))
	const cuts, wantAfter = 3, 60
	var (
		cutAt                     <-chan time.Time
		cutN, opens, errs, resume int
		reports                   int    // the page's count of its reports, as far as read
		epoch, lastID             string // the last event's
		lastSeq                   int64
		events, afterLastCut      int // afterLastCut: events on the stream after the last cut
	)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d, after %d cuts and %d events: %s; the page reported last:\n%s",
			seed, cutN, events, fmt.Sprintf(format, args...), drv.output())
	}
	deadline := time.After(30 * time.Second)
	for afterLastCut < wantAfter {
		select {
		case s, ok := <-drv.lines:
			if !ok {
				fail("the driver ended")
			}
			l := drv.decode(s)
			if l.N != 0 {
				if reports++; l.N != reports {
					fail("report %d came as the %dth: the driver reordered them", l.N, reports)
				}
			}
			switch l.Kind {
			case "open":
				if opens++; opens != cutN+1 {
					fail("open %d after %d cuts: the stream broke by itself", opens, cutN)
				}
				if cutN < cuts { // a random moment in the next 0.2–1.5 s of events
					cutAt = time.After(200*time.Millisecond + time.Duration(rnd.Int64N(int64(1300*time.Millisecond))))
				}
			case "error":
				if errs++; errs != cutN {
					fail("error %d after %d cuts: the stream broke by itself", errs, cutN)
				}
			case "message":
				if controlTypes[l.Type] {
					switch {
					case l.Type != "connection":
						fail("a %s event (%s): want none on a stream that resumes", l.Type, l.Reason)
					case l.Resumed == nil || *l.Resumed != (lastID != ""):
						fail("connection event %d after event %q: want resumed %t, exactly when the browser has an id to send", opens, lastID, lastID != "")
					case *l.Resumed:
						resume++
					}
					continue
				}
				e, seqText, _ := strings.Cut(l.ID, "-")
				seq, err := strconv.ParseInt(seqText, 10, 64)
				switch {
				case l.ID == "" || l.ID != l.LastEventID || err != nil:
					fail("%s event with id %q and lastEventId %q: want the same <epoch>-<sequence> in both", l.Type, l.ID, l.LastEventID)
				case lastID != "" && (e != epoch || seq != lastSeq+1):
					fail("event %s after %s: want %s-%d, every event once, in order", l.ID, lastID, epoch, lastSeq+1)
				}
				epoch, lastSeq, lastID = e, seq, l.ID
				events++
				if opens == cuts+1 { // counted on the page's clock: Go reads its reports late
					afterLastCut++
				}
			}
		case <-cutAt:
			cutAt = nil
			cutN++
			if n := proxy.cut(); n == 0 {
				fail("cut %d found no connection to close", cutN)
			}
		case <-deadline:
			fail("not done within 30s")
		}
	}
	if opens != cuts+1 || errs != cuts || resume != cuts {
		t.Errorf("seed %d: the page saw %d opens, %d errors and %d resumed connection events, want %d, %d and %d",
			seed, opens, errs, resume, cuts+1, cuts, cuts)
	}
	// The three cut connections are gone at the gateway too: only the page's live stream counts.
	if n := connectedClients(t, http.DefaultClient, d.base); n != 1 {
		t.Errorf("after %d cuts /health says sseConnectedClients %d, want 1", cuts, n)
	}
	proxy.mu.Lock()
	accepted := proxy.accepted
	proxy.mu.Unlock()
	t.Logf("seed %d: %d events in sequence over %d connections through the proxy, the last at %s", seed, events, accepted, lastID)
}

// TestBrowserHTTP2ManyStreams: one page opens ten EventSources on the demo over HTTPS. Over
// HTTP/1.1 Chromium holds at most six connections per origin and the other streams would wait;
// over HTTP/2 they all fit, and each gets events.
func TestBrowserHTTP2ManyStreams(t *testing.T) {
	cert, key, pool := testcert.Write(t, t.TempDir())
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*", "MCP_HTTP_TLS_CERT=" + cert, "MCP_HTTP_TLS_KEY=" + key}, "--rate", "40")
	if !strings.HasPrefix(d.base, "https://") {
		t.Fatalf("demo with a certificate printed %s, want an https URL", d.base)
	}
	const streams, wantEvents = 10, 3
	stream := d.base + "/subscribe_events"
	drv := startDriver(t, stream, "h2.mjs", stream, strconv.Itoa(streams))

	protocol := map[int]string{}
	connected, events := make([]bool, streams), make([]int, streams)
	done := func() bool {
		for i := range streams {
			if protocol[i] == "" || events[i] < wantEvents {
				return false
			}
		}
		return true
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nprotocols %v, events per stream %v; the page reported last:\n%s",
			fmt.Sprintf(format, args...), protocol, events, drv.output())
	}
	deadline := time.After(20 * time.Second)
	for !done() {
		select {
		case s, ok := <-drv.lines:
			if !ok {
				fail("the driver ended")
			}
			l := drv.decode(s)
			if l.Stream < 0 || l.Stream >= streams {
				fail("a report of stream %d", l.Stream)
			}
			switch l.Kind {
			case "response":
				u, err := url.Parse(l.URL)
				if err != nil {
					fail("response for %q: %v", l.URL, err)
				}
				i, err := strconv.Atoi(strings.TrimPrefix(u.Query().Get("client_id"), "h2-"))
				if err != nil || i < 0 || i >= streams || protocol[i] != "" {
					fail("a response for %s: want one per stream", l.URL)
				}
				if protocol[i] = l.Protocol; l.Protocol != "h2" || l.Status != 200 {
					fail("stream %d: %d over %q, want 200 over h2", i, l.Status, l.Protocol)
				}
			case "error":
				fail("stream %d fired error (readyState %d after it)", l.Stream, l.ReadyState)
			case "message":
				switch {
				case l.Type == "connection":
					connected[l.Stream] = true
				case !connected[l.Stream]:
					fail("stream %d: a %s event before the connection event", l.Stream, l.Type)
				case controlTypes[l.Type]:
				case l.ID == "" || l.ID != l.LastEventID:
					fail("stream %d: %s event with id %q and lastEventId %q, want the same id in both", l.Stream, l.Type, l.ID, l.LastEventID)
				default:
					events[l.Stream]++
				}
			}
		case <-deadline:
			fail("not every stream had %d events within 20s", wantEvents)
		}
	}

	// The gateway counts the ten streams too; asked over HTTP/2 by a client that trusts the certificate.
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	if n := connectedClients(t, &http.Client{Transport: tr}, d.base); n != streams {
		t.Errorf("with %d streams open /health says sseConnectedClients %d", streams, n)
	}
}

// connectedClients asks base's /health how many streams are open; over TLS it must be HTTP/2.
func connectedClients(t *testing.T, client *http.Client, base string) int {
	t.Helper()
	resp, err := client.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct {
		Clients *int `json:"sseConnectedClients"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil || resp.StatusCode != 200 || health.Clients == nil {
		t.Fatalf("GET /health: %s (%v), want 200 with sseConnectedClients", resp.Status, err)
	}
	if resp.TLS != nil && resp.ProtoMajor != 2 {
		t.Errorf("GET /health over TLS: %s, want HTTP/2", resp.Proto)
	}
	return *health.Clients
}
