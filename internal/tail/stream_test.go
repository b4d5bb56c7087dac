package tail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// gateway is an HTTP server whose nth request (from 0) is answered by handlers[n]; it
// records every request's Last-Event-ID and Authorization headers.
type gateway struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string // "Last-Event-ID|Authorization" of each request
}

func startGateway(t *testing.T, handlers ...http.HandlerFunc) *gateway {
	t.Helper()
	g := &gateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		n := len(g.requests)
		g.requests = append(g.requests, r.Header.Get("Last-Event-ID")+"|"+r.Header.Get("Authorization"))
		g.mu.Unlock()
		handlers[min(n, len(handlers)-1)](w, r)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateway) seen() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.requests...)
}

// stream answers with an event stream of frames, then ends it (or, with hold, waits for the
// client to go).
func stream(frames string, hold bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, frames)
		http.NewResponseController(w).Flush()
		if hold {
			<-r.Context().Done()
		}
	}
}

// refuse answers status with SPEC.md §8's JSON error.
func refuse(status int, code, message string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"success":false,"message":%q,"error_code":%q}`, message, code)
	}
}

func TestRunRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    RefusedError
	}{
		{"bad token", refuse(401, "UNAUTHORIZED", "a valid token is required"), RefusedError{401, "UNAUTHORIZED", "a valid token is required"}},
		{"out of scope", refuse(403, "FORBIDDEN", "not allowed: call_service"), RefusedError{403, "FORBIDDEN", "not allowed: call_service"}},
		{"bad filter", refuse(400, "INVALID_PARAMETER", `invalid parameter "entity_id"`), RefusedError{400, "INVALID_PARAMETER", `invalid parameter "entity_id"`}},
		{"no JSON", http.NotFound, RefusedError{404, "", "Not Found"}},
		{"not a stream", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>")
		}, RefusedError{200, "", `not an event stream (Content-Type "text/html")`}},
	} {
		g := startGateway(t, tc.handler)
		p, _, errs := newTestPrinter(true, false)
		err := Run(context.Background(), Config{URL: g.URL, MaxWait: time.Millisecond}, p)
		var got *RefusedError
		if !errors.As(err, &got) || *got != tc.want || len(g.seen()) != 1 {
			t.Errorf("%s: Run = %v after %d requests, want %v after 1", tc.name, err, len(g.seen()), &tc.want)
		}
		if errs.Len() > 0 {
			t.Errorf("%s: a refusal printed %q: it is Run's error, not a notice", tc.name, errs)
		}
	}
}

func TestRunRetriesThenGivesUp(t *testing.T) {
	g := startGateway(t, refuse(503, "SERVICE_OVERLOADED", "connection limit reached", "Retry-After", "0"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, tc := range []struct {
		name, url, want string
	}{
		{"overloaded", g.URL, "giving up after 3 failed attempts: the gateway refused the stream (503 SERVICE_OVERLOADED): connection limit reached"},
		{"nobody there", closed, "connection refused"},
	} {
		p, _, errs := newTestPrinter(true, false)
		err := Run(context.Background(), Config{URL: tc.url, MaxWait: time.Millisecond, MaxRetries: 3}, p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run = %v, want an error with %q", tc.name, err, tc.want)
		}
		if n := strings.Count(errs.String(), "retrying in"); n != 2 {
			t.Errorf("%s: notices %q: %d retries announced, want 2", tc.name, errs, n)
		}
	}
	if n := len(g.seen()); n != 3 {
		t.Errorf("the overloaded gateway saw %d requests, want 3", n)
	}
}

// TestRunResumes: the stream ends twice; each time Run reconnects with the last event id it
// read (an event without an id does not move it) and goes on until Count events.
func TestRunResumes(t *testing.T) {
	g := startGateway(t,
		stream("retry: 1\ndata: {\"type\":\"connection\"}\n\nid: e-1\ndata: {\"id\":\"e-1\"}\n\nid: e-2\ndata: {\"id\":\"e-2\"}\n\n", false),
		stream("data: {\"type\":\"connection\",\"resumed\":true}\n\ndata: {\"no\":\"id\"}\n\n", false),
		stream("id: e-3\ndata: {\"id\":\"e-3\"}\n\nid: e-4\ndata: {\"id\":\"e-4\"}\n\nid: e-5\ndata: {\"id\":\"e-5\"}\n\n", true),
	)
	p, out, errs := newTestPrinter(true, false)
	err := Run(context.Background(), Config{URL: g.URL, Token: "secret", LastEventID: "e-0", Count: 4}, p)
	if err != nil {
		t.Fatalf("Run = %v, want nil after 4 events; notices:\n%s", err, errs)
	}
	want := `{"type":"connection"}
{"id":"e-1"}
{"id":"e-2"}
{"type":"connection","resumed":true}
{"no":"id"}
{"id":"e-3"}
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	wantSeen := []string{"e-0|Bearer secret", "e-2|Bearer secret", "e-2|Bearer secret"}
	if diff := cmp.Diff(wantSeen, g.seen()); diff != "" {
		t.Errorf("requests' Last-Event-ID|Authorization (-want +got):\n%s", diff)
	}
	if n := strings.Count(errs.String(), "stream ended (the gateway closed it); reconnecting in"); n != 2 {
		t.Errorf("notices %q: want 2 reconnects announced", errs)
	}
}

// TestRunIdleTimeout: a stream that sends nothing, not even keep-alives, is given up and
// reopened.
func TestRunIdleTimeout(t *testing.T) {
	g := startGateway(t,
		stream(": hello\n\n", true),
		stream("id: e-1\ndata: {\"id\":\"e-1\"}\n\n", true),
	)
	p, out, errs := newTestPrinter(true, false)
	err := Run(context.Background(), Config{URL: g.URL, Count: 1, IdleTimeout: 100 * time.Millisecond, MaxWait: time.Millisecond}, p)
	if err != nil || out.String() != "{\"id\":\"e-1\"}\n" {
		t.Fatalf("Run = %v with output %q, want nil after the event of the second stream", err, out)
	}
	if want := "stream ended (nothing received for 100ms)"; !strings.Contains(errs.String(), want) {
		t.Errorf("notices %q, want %q", errs, want)
	}
}

// TestRunEndsWithContext: cancelling Run's context is a clean end.
func TestRunEndsWithContext(t *testing.T) {
	opened := make(chan struct{})
	g := startGateway(t, func(w http.ResponseWriter, r *http.Request) {
		close(opened)
		stream("", true)(w, r)
	})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	p, _, _ := newTestPrinter(true, false)
	go func() { errc <- Run(ctx, Config{URL: g.URL}, p) }()
	<-opened
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
}
