package httpapi

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hasse/internal/hub"
)

// TestEventsPathIsChecked checks that an events path the routes cannot serve as written stops
// New with an error naming it: one that collides with a route of the gateway's own (it used to
// panic once serving had begun) and one that is not clean (it used to start an endpoint nobody
// could reach, which /health advertised).
func TestEventsPathIsChecked(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h, err := hub.New(hub.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, want string // want: "" for a path that is served
	}{
		{"/subscribe_events", ""},
		{"/ha/events", ""},
		{"/events-v2.x~1", ""},
		{"/health", "taken"},
		{"/mcp", "taken"},
		{"/metrics", "taken"},
		{"/get_sse_stats", "taken"},
		{"/api/sse", "taken"},
		{"/api/sse/connections/x", "taken"},
		{"/api/sse/events", "taken"},
		{"/dashboard/events", "taken"},
		{"/", "clean path"},
		{"/a/../b", "clean path"},
		{"/a/./b", "clean path"},
		{"//a", "clean path"},
		{"/a/", "clean path"},
		{"/%zz", "clean path"},
		{"/a%20b", "clean path"},
		{"/a b", "clean path"},
		{"/{x}", "clean path"},
		{"/a?b", "clean path"},
		{"events", "clean path"},
	} {
		srv, err := New(Config{Auth: AuthNone, EventsPath: tc.path}, h, nil, func() LinkStatus { return LinkStatus{} }, log)
		switch {
		case tc.want == "" && (err != nil || srv.Handler() == nil):
			t.Errorf("events path %q: %v, want it served", tc.path, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path)):
			t.Errorf("events path %q: error %v, want one naming the path and saying %q", tc.path, err, tc.want)
		}
	}
	if _, err := New(Config{Auth: AuthNone, EventsPath: "/health", DisableEvents: true}, h, nil, func() LinkStatus { return LinkStatus{} }, log); err != nil {
		t.Errorf("a colliding events path with the endpoint off: %v, want no error", err)
	}
}

// TestRefusalsBeforeHandlers checks the choice made for what reaches no route: CONNECT, which
// ServeMux answered with a plain-text 404, is refused in SPEC.md §8's shape; what net/http answers
// itself before any handler runs (an HTTP version it does not speak, a transfer coding it does not
// know) stays its own plain-text answer: hasse never sees those requests.
func TestRefusalsBeforeHandlers(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{})
	addr := strings.TrimPrefix(env.url, "http://")
	for _, tc := range []struct {
		raw, status string
		json        bool
	}{
		{"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "405", true},
		{"CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n", "405", true},
		{"GET /health HTTP/9.9\r\nHost: x\r\n\r\n", "505", false},
		{"POST /subscribe_events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "501", false},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, tc.raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%.30q: %v", tc.raw, err)
		}
		body, _ := io.ReadAll(resp.Body)
		conn.Close()
		isJSON := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && strings.Contains(string(body), `"success":false`)
		if resp.Status[:3] != tc.status || isJSON != tc.json {
			t.Errorf("%.30q: %s %q (JSON %v), want %s, JSON %v", tc.raw, resp.Status, body, isJSON, tc.status, tc.json)
		}
	}
}
