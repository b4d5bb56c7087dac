package httpapi

import (
	"log/slog"
	"strings"
	"testing"

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
