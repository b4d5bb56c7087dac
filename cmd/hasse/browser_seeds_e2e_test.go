//go:build e2e && seeds

package main

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests run the seeds' browser snippets verbatim in headless Chromium (SPEC.md §11); they are
// part of the seed tier (see seeds_e2e_test.go).
// e2e/browser/run-snippet.mjs reads each snippet from its seed document, runs it in a page served
// from another origin than the gateway (so every stream is a CORS request) and prints each console
// message as a JSON line; the tests read those lines and check that the right events, and only
// those, arrived. They need Debian's chromium and the e2e packages; `make test` installs both.

// browserLine is one line of run-snippet.mjs.
type browserLine struct {
	Kind  string            `json:"kind"` // page, console, observe or pageerror
	URL   string            `json:"url"`  // page
	Type  string            `json:"type"` // console: log, error, …
	Text  string            `json:"text"` // console, pageerror
	Args  []json.RawMessage `json:"args"` // console: each argument as JSON
	Name  string            `json:"name"` // observe: the snippet's variable
	Event string            `json:"event"`
	Data  string            `json:"data"` // observe: a message's data
}

// browserPage is one snippet running in Chromium.
type browserPage struct {
	t           *testing.T
	raw         <-chan string
	seen        []string // for failure messages
	deadline    <-chan time.Time
	allowErrors bool // the test expects the snippet's error handlers to fire
}

// runSnippet runs the javascript blocks after headings in seed doc, in order, as one script of a
// page on another origin than base. flags go to run-snippet.mjs (--observe, --screenshot).
func runSnippet(t *testing.T, base, token, doc string, headings []string, flags ...string) *browserPage {
	t.Helper()
	args := append(append([]string{seedDocument(t, doc), base, token}, headings...), flags...)
	raw := startNode(t, 90*time.Second, "browser/run-snippet.mjs", args...)
	p := &browserPage{t: t, raw: raw, deadline: time.After(30 * time.Second)}
	first := p.next()
	page, err := url.Parse(first.URL)
	gateway, _ := url.Parse(base)
	if first.Kind != "page" || err != nil || page.Host == gateway.Host {
		t.Fatalf("first line %+v: want the page, on another origin than the gateway %s", first, base)
	}
	return p
}

// next returns the page's next line. Uncaught exceptions, and console errors unless allowed, fail
// the test.
func (p *browserPage) next() browserLine {
	p.t.Helper()
	select {
	case s, ok := <-p.raw:
		if !ok {
			p.t.Fatalf("run-snippet.mjs ended early; it printed:\n%s", p.output())
		}
		p.seen = append(p.seen, s)
		var l browserLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			p.t.Fatalf("run-snippet.mjs printed %q: %v", s, err)
		}
		if l.Kind == "pageerror" || (l.Kind == "console" && l.Type == "error" && !p.allowErrors) {
			p.t.Fatalf("the page reported %s: %s", l.Kind, l.Text)
		}
		return l
	case <-p.deadline:
		p.t.Fatalf("what the test waited for did not come within 30s; the page printed:\n%s", p.output())
		return browserLine{}
	}
}

// until hands each line to done until it reports that it has seen enough.
func (p *browserPage) until(done func(browserLine) bool) {
	p.t.Helper()
	for !done(p.next()) {
	}
}

func (p *browserPage) output() string {
	var b strings.Builder
	for _, s := range p.seen[max(0, len(p.seen)-40):] {
		b.WriteString(s[:min(len(s), 300)] + "\n")
	}
	return b.String()
}

// logged reports whether l is console.log(label, x) and returns x.
func logged(l browserLine, label string) (json.RawMessage, bool) {
	var first string
	if l.Kind != "console" || len(l.Args) != 2 || json.Unmarshal(l.Args[0], &first) != nil || first != label {
		return nil, false
	}
	return l.Args[1], true
}

// Seed 2's example request, with `const token` from its Authentication block and the debugging
// tip's open/error listeners on the same eventSource: auth tokens and the envelope format.
func TestBrowserSeed2ExampleRequest(t *testing.T) {
	d := startDemo(t, nil, "--seed", "3", "--rate", "40")
	p := runSnippet(t, d.base, d.token, "2-sse-api-reference.md",
		[]string{"## Authentication", "#### Example Request", "2. Monitor network traffic:"})
	var opened, connected bool
	var matched int
	p.until(func(l browserLine) bool {
		opened = opened || (l.Kind == "console" && l.Text == "Connection opened")
		raw, ok := logged(l, "Received:")
		if !ok {
			return false
		}
		ev := decodeEnvelope(t, raw)
		switch {
		case ev.Type == "connection":
			connected = true
			if ev.Authenticated == nil || !*ev.Authenticated {
				t.Errorf("connection event %s: want authenticated true", raw)
			}
		case !connected:
			t.Fatalf("event %s before the connection event", raw)
		case ev.Type != "state_changed" || (ev.EntityID != "light.living_room" && ev.Domain != "switch"):
			// automation_triggered is asked for too, but an automation is neither the light nor a switch.
			t.Fatalf("event %s passed entity_id=light.living_room&domain=switch&events=state_changed,automation_triggered", raw)
		default:
			matched++
		}
		return matched == 3
	})
	if !opened {
		t.Error(`the open listener never logged "Connection opened"`)
	}
}

// Seed 2's snippet with a wrong token: a 401, its error handlers fire, nothing is received.
func TestBrowserSeed2WrongToken(t *testing.T) {
	d := startDemo(t, nil, "--rate", "40")
	p := runSnippet(t, d.base, "wrong", "2-sse-api-reference.md",
		[]string{"## Authentication", "#### Example Request", "2. Monitor network traffic:"})
	p.allowErrors = true
	var refused, sseError bool
	p.until(func(l browserLine) bool {
		if _, ok := logged(l, "Received:"); ok || l.Text == "Connection opened" {
			t.Fatalf("with a wrong token the page logged %q", l.Text)
		}
		refused = refused || strings.Contains(l.Text, "status of 401") // Chromium's own message
		sseError = sseError || strings.HasPrefix(l.Text, "SSE Error:")
		return refused && sseError && strings.HasPrefix(l.Text, "Connection error:")
	})
}

// Seed 3's first connection and its connection-state handlers on the same eventSource; seed 3
// sends no token that means anything, so auth none.
func TestBrowserSeed3Connection(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*"}, "--seed", "3", "--rate", "40")
	p := runSnippet(t, d.base, "unused", "3-sse-api-guide.md",
		[]string{"### Establishing a Connection", "### Connection States"})
	var opened, connected bool
	var events int
	p.until(func(l browserLine) bool {
		opened = opened || (l.Kind == "console" && l.Text == "Connection established")
		raw, ok := logged(l, "Received update:")
		if !ok {
			return false
		}
		if ev := decodeEnvelope(t, raw); ev.Type == "connection" {
			connected = true
		} else if !connected {
			t.Fatalf("event %s before the connection event", raw)
		} else {
			events++
		}
		return events == 3
	})
	if !opened {
		t.Error(`onopen never logged "Connection established"`)
	}
}

// Seed 3's `type=state`: only state changes.
func TestBrowserSeed3StateEvents(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*"}, "--seed", "3", "--rate", "40")
	p := runSnippet(t, d.base, "", "3-sse-api-guide.md", []string{"### Device State Events"})
	var connected bool
	var events int
	p.until(func(l browserLine) bool {
		raw, ok := logged(l, "Device state changed:")
		if !ok {
			return false
		}
		switch ev := decodeEnvelope(t, raw); {
		case ev.Type == "connection":
			connected = true
		case !connected || ev.Type != "state_changed":
			t.Fatalf("event %s: want state_changed events after the connection event", raw)
		default:
			events++
		}
		return events == 10
	})
}

// observeFilter waits on the EventSources a seed-3 filter snippet opens without handlers (run
// with --observe) until each has had n events after its connection event; each must pass want.
func observeFilter(t *testing.T, p *browserPage, n int, want map[string]func(envelope) bool) {
	t.Helper()
	connected, events := map[string]bool{}, map[string]int{}
	p.until(func(l browserLine) bool {
		if l.Kind != "observe" || l.Event != "message" {
			return false
		}
		switch ev := decodeEnvelope(t, []byte(l.Data)); {
		case ev.Type == "connection":
			connected[l.Name] = true
		case !connected[l.Name]:
			t.Fatalf("%s: event %s before the connection event", l.Name, l.Data)
		case !want[l.Name](ev):
			t.Fatalf("%s: event %s does not pass its filter", l.Name, l.Data)
		default:
			events[l.Name]++
		}
		for name := range want {
			if events[name] < n {
				return false
			}
		}
		return true
	})
}

// Seed 3's domain filters: one domain, and a list.
func TestBrowserSeed3ByDomain(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*"}, "--seed", "3", "--rate", "40")
	p := runSnippet(t, d.base, "", "3-sse-api-guide.md", []string{"#### By Domain"}, "--observe", "lightEvents,multiEvents")
	observeFilter(t, p, 5, map[string]func(envelope) bool{
		"lightEvents": func(ev envelope) bool { return ev.Domain == "light" },
		"multiEvents": func(ev envelope) bool { return slices.Contains([]string{"light", "switch", "sensor"}, ev.Domain) },
	})
}

// Seed 3's entity filters. The simulated home has light.living_room and light.kitchen but no
// switch.coffee_maker (it has switch.coffee_machine), so that one id is only ever filtered out.
func TestBrowserSeed3ByEntityID(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*"}, "--seed", "3", "--rate", "100")
	p := runSnippet(t, d.base, "", "3-sse-api-guide.md", []string{"#### By Entity ID"}, "--observe", "livingRoomLight,kitchenDevices")
	observeFilter(t, p, 1, map[string]func(envelope) bool{
		"livingRoomLight": func(ev envelope) bool { return slices.Contains(ev.entities(), "light.living_room") },
		"kitchenDevices": func(ev envelope) bool {
			return slices.ContainsFunc(ev.entities(), func(id string) bool { return id == "light.kitchen" || id == "switch.coffee_maker" })
		},
	})
}

// Seed 4's browser example: addEventListener('connected'|'state_changed') needs the named format,
// which is the server's default here; seed 4 sends no token. Leaves a screenshot in build/.
func TestBrowserSeed4BasicUsage(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*", "MCP_SSE_FORMAT=named"}, "--seed", "3", "--rate", "40")
	shot := buildDir(t)
	p := runSnippet(t, d.base, "", "4-sse-event-subscription.md", []string{"### Basic Usage"},
		"--screenshot", filepath.Join(shot, "browser-seed4-basic-usage.png"))
	var clientID, entityID string
	var changes, states int
	p.until(func(l browserLine) bool {
		if raw, ok := logged(l, "Connected:"); ok {
			if json.Unmarshal(raw, &clientID) != nil || clientID == "" || changes > 0 {
				t.Fatalf("Connected: %s after %d changes: want a client id first", raw, changes)
			}
		}
		if raw, ok := logged(l, "State changed:"); ok {
			changes++
			if json.Unmarshal(raw, &entityID) != nil || !strings.HasPrefix(entityID, "light.") || clientID == "" {
				t.Fatalf("State changed: %s: want a light (domain=light), after the connected event", raw)
			}
		}
		if raw, ok := logged(l, "  New state:"); ok && string(raw) != "null" {
			states++ // data.new_state?.state: the named format's HA-shaped new_state
		}
		return changes >= 3 && states >= 3
	})
}
