//go:build e2e

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The harness of eventsource_e2e_test.go: our own EventSource client, e2e/clients/gateway-stream.mjs
// (written from SPEC.md §4 and the README), run by e2e/clients/node.mjs in Node 20 with either
// pinned eventsource package, or by e2e/browser/clients.mjs on Chromium's own EventSource in a page
// from another origin than the gateway. Both print what the client sees as JSON lines
// (e2e/clients/watch.mjs); the tests read them here.

// clientRuntimes are where our client runs: Node with eventsource@2 (its default export),
// Node with eventsource@4 (its named export), and headless Chromium.
var clientRuntimes = []string{"eventsource@2", "eventsource@4", "chromium"}

// clientConfig is what watch.mjs opens: streams on url, each with the token in its query.
type clientConfig struct {
	URL     string       `json:"url"`
	Token   string       `json:"token,omitempty"`
	Streams []streamSpec `json:"streams"`
}

// streamSpec is one GatewayStream.
type streamSpec struct {
	Name    string            `json:"name"`
	Token   string            `json:"token,omitempty"`  // instead of the config's
	Params  map[string]string `json:"params,omitempty"` // filters, format, …
	Named   []string          `json:"named,omitempty"`  // event names to addEventListener
	Backoff *backoffSpec      `json:"backoff,omitempty"`
}

// backoffSpec: the first retry after Initial ms, each next one twice as long, Attempts in a row.
type backoffSpec struct {
	Initial  int `json:"initial"`
	Attempts int `json:"attempts"`
}

// clientLine is one line of a runner.
type clientLine struct {
	Kind        string          `json:"kind"`        // open, event, error, retry, give_up; Chromium also page, response, failed, console, pageerror
	Stream      string          `json:"stream"`      // the streamSpec's name
	Event       string          `json:"event"`       // event: the listener, "message" (onmessage) or a named event
	LastEventID string          `json:"lastEventId"` // event: MessageEvent.lastEventId; retry: what the reconnect resumes from
	Data        json.RawMessage `json:"data"`        // event: the parsed data
	Status      int             `json:"status"`      // error: the HTTP status where the runtime says it (Node); response
	Attempt     int             `json:"attempt"`     // retry
	Delay       int             `json:"delay"`       // retry: ms
	Failures    int             `json:"failures"`    // give_up
	URL         string          `json:"url"`         // page, response, failed
	AllowOrigin string          `json:"allowOrigin"` // response: Access-Control-Allow-Origin
	CORSError   string          `json:"corsError"`   // failed: why CORS refused the response, if it did
	Type        string          `json:"type"`        // console: log, error, …
	Text        string          `json:"text"`        // console, pageerror
}

// clientRun is our client running in one runtime.
type clientRun struct {
	t        *testing.T
	runtime  string
	lines    <-chan string
	seen     []string
	deadline <-chan time.Time
	origin   string // Chromium: the page's origin
	allowed  int    // Chromium: stream responses whose CORS header allowed the page
}

// runClient starts cfg's streams in runtime. In Chromium it checks that the page is on another
// origin than the gateway.
func runClient(t *testing.T, runtime string, cfg clientConfig) *clientRun {
	t.Helper()
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &clientRun{t: t, runtime: runtime, deadline: time.After(45 * time.Second)}
	if runtime != "chromium" {
		r.lines = startNode(t, 90*time.Second, "clients/node.mjs", runtime, string(js))
		return r
	}
	r.lines = startNode(t, 90*time.Second, "browser/clients.mjs", string(js))
	first := r.next()
	page, err := url.Parse(first.URL)
	gateway, _ := url.Parse(cfg.URL)
	if first.Kind != "page" || err != nil || page.Host == gateway.Host {
		t.Fatalf("first line %+v: want the page, on another origin than the gateway %s", first, cfg.URL)
	}
	r.origin = page.Scheme + "://" + page.Host
	return r
}

// next returns the runner's next line. An uncaught exception in the page fails the test, and so
// does a stream response whose CORS header does not allow the page.
func (r *clientRun) next() clientLine {
	r.t.Helper()
	l, _ := r.nextOr(nil)
	return l
}

// nextOr is next, unless tick fires first: then it returns false.
func (r *clientRun) nextOr(tick <-chan time.Time) (clientLine, bool) {
	r.t.Helper()
	var s string
	select {
	case line, ok := <-r.lines:
		if !ok {
			r.fail("the runner ended early")
		}
		s = line
	case <-tick:
		return clientLine{}, false
	case <-r.deadline:
		r.fail("what the test waited for did not come within 45s")
	}
	r.seen = append(r.seen, s)
	var l clientLine
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		r.fail("the runner printed %q: %v", s, err)
	}
	switch l.Kind {
	case "pageerror":
		r.fail("the page threw: %s", l.Text)
	case "response":
		if l.AllowOrigin != "*" && l.AllowOrigin != r.origin {
			r.fail("the response to %s allows origin %q, not the page's %s", l.URL, l.AllowOrigin, r.origin)
		}
		r.allowed++
	}
	return l, true
}

// until hands each line to done until it reports that it has seen enough.
func (r *clientRun) until(done func(clientLine) bool) {
	r.t.Helper()
	for !done(r.next()) {
	}
}

// fail ends the test with what the runner printed last.
func (r *clientRun) fail(format string, args ...any) {
	r.t.Helper()
	var b strings.Builder
	for _, s := range r.seen[max(0, len(r.seen)-30):] {
		b.WriteString(s[:min(len(s), 300)] + "\n")
	}
	r.t.Fatalf("%s: %s; the runner printed last:\n%s", r.runtime, fmt.Sprintf(format, args...), b.String())
}

// envelope is what an envelope-format event says about itself (SPEC.md §4.3, §4.4).
type envelope struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	EntityID      string `json:"entity_id"`
	Domain        string `json:"domain"`
	Authenticated *bool  `json:"authenticated"` // connection
	Resumed       *bool  `json:"resumed"`       // connection
	Data          struct {
		ServiceData struct {
			EntityID any `json:"entity_id"`
			Target   struct {
				EntityID any `json:"entity_id"`
			} `json:"target"`
		} `json:"service_data"`
	} `json:"data"`
}

func decodeEnvelope(t *testing.T, raw []byte) envelope {
	t.Helper()
	var ev envelope
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Type == "" || (ev.Type != "connection" && ev.ID == "" && !controlTypes[ev.Type]) {
		t.Fatalf("event %s (%v): want an envelope event with a type, and an id unless a control event", raw, err)
	}
	return ev
}

// entities are the entities an event is about, as SPEC.md §4.1's matching sees them.
func (e envelope) entities() []string {
	ids := []string{e.EntityID}
	for _, v := range []any{e.Data.ServiceData.EntityID, e.Data.ServiceData.Target.EntityID} {
		switch v := v.(type) {
		case string:
			ids = append(ids, v)
		case []any:
			for _, id := range v {
				s, _ := id.(string)
				ids = append(ids, s)
			}
		}
	}
	return ids
}

// eventID splits an event id into its epoch and sequence (SPEC.md §4.5).
func eventID(id string) (epoch string, seq int64, ok bool) {
	epoch, s, found := strings.Cut(id, "-")
	seq, err := strconv.ParseInt(s, 10, 64)
	return epoch, seq, found && err == nil && epoch != ""
}
