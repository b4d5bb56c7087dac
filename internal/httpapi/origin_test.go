package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"hasse/internal/stats"
)

// TestAuthNoneRefusesOtherSites plays the page of another site that a visitor of the gateway's
// network opens, under auth none, as an outside review did: with no origins configured, nothing
// it sends is served (the stream, the connection list, the preflights of DELETE and of POST /mcp,
// the WebSocket API), and a Host that is not the gateway's (DNS rebinding) is refused. The
// gateway's own page, clients that are no browser, and configured names and origins are served.
func TestAuthNoneRefusesOtherSites(t *testing.T) {
	env := newStatsEnv(t, Config{Auth: AuthNone, AllowedHosts: []string{"Hasse.LAN"}}, stats.Config{})
	own := env.url // http://127.0.0.1:port
	evil := "https://evil.example"
	for _, tc := range []struct {
		name, method, target string
		header               map[string]string
		status               int
	}{
		{"stream", "GET", "/subscribe_events", map[string]string{"Origin": evil}, 403},
		{"connections", "GET", "/api/sse/connections", map[string]string{"Origin": evil}, 403},
		{"DELETE preflight", "OPTIONS", "/api/sse/connections/x", map[string]string{"Origin": evil, "Access-Control-Request-Method": "DELETE"}, 403},
		{"MCP preflight", "OPTIONS", "/mcp", map[string]string{"Origin": evil, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, 403},
		{"DELETE", "DELETE", "/api/sse/connections/x", map[string]string{"Origin": evil}, 403},
		{"origin null", "GET", "/api/sse/stats", map[string]string{"Origin": "null"}, 403},
		{"no-cors from another site", "GET", "/api/sse/stats", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"no-cors from another port", "GET", "/api/sse/stats", map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"rebound name", "GET", "/api/sse/stats", map[string]string{"Host": "evil.example:3000"}, 403},
		{"rebound name, health", "GET", "/health", map[string]string{"Host": "evil.example"}, 403},

		{"no browser", "GET", "/api/sse/stats", nil, 200},
		{"own page", "GET", "/api/sse/stats", map[string]string{"Origin": own, "Sec-Fetch-Site": "same-origin"}, 200},
		{"typed into the address bar", "GET", "/api/sse/stats", map[string]string{"Sec-Fetch-Site": "none"}, 200},
		{"localhost", "GET", "/api/sse/stats", map[string]string{"Host": "localhost:3000"}, 200},
		{"an address", "GET", "/health", map[string]string{"Host": "192.168.1.20:3000"}, 200},
		{"an IPv6 address", "GET", "/health", map[string]string{"Host": "[::1]:3000"}, 200},
		{"a configured name", "GET", "/health", map[string]string{"Host": "hasse.lan:3000"}, 200},
		{"own page, by its configured name", "GET", "/health", map[string]string{"Host": "hasse.lan:3000", "Origin": "http://hasse.lan:3000"}, 200},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a stream served by mistake ends the test
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, tc.method, env.url+tc.target, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		if h := tc.header["Host"]; h != "" {
			req.Host = h
		}
		resp, body := do(t, req)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
		if tc.status == 403 && (!strings.Contains(string(body), `"error_code":"FORBIDDEN"`) || resp.Header.Get("Access-Control-Allow-Origin") != "") {
			t.Errorf("%s: %s, Access-Control-Allow-Origin %q; want FORBIDDEN in the error shape and no CORS header", tc.name, body, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.url, "http")+"/api/sse/ws", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {evil}}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("the WebSocket API from another site: %v, want 403", err)
	}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.url, "http")+"/api/sse/ws", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {own}}})
	if err != nil {
		t.Fatalf("the WebSocket API from the gateway's own page: %v", err)
	}
	conn.CloseNow()
}

// TestAuthNoneServesConfiguredOrigins checks that under auth none an origin that is configured
// gets CORS and is served, and the others still are not.
func TestAuthNoneServesConfiguredOrigins(t *testing.T) {
	env := newStatsEnv(t, Config{Auth: AuthNone, CORSOrigins: []string{"https://dash.example"}}, stats.Config{})
	for _, tc := range []struct {
		origin string
		status int
		allow  string
	}{
		{"https://dash.example", 200, "https://dash.example"},
		{"https://evil.example", 403, ""},
		{"http://dash.example", 403, ""}, // another scheme is another origin
	} {
		req, _ := http.NewRequest("GET", env.url+"/api/sse/stats", nil)
		req.Header.Set("Origin", tc.origin)
		resp, body := do(t, req)
		if resp.StatusCode != tc.status || resp.Header.Get("Access-Control-Allow-Origin") != tc.allow {
			t.Errorf("from %s: %d %s, Access-Control-Allow-Origin %q; want %d, %q", tc.origin, resp.StatusCode, body,
				resp.Header.Get("Access-Control-Allow-Origin"), tc.status, tc.allow)
		}
	}
}

// TestOriginsAreWholeOrigins checks that an allowed origin must be written as browsers send it:
// a bare host used to let pages of origin "null" (sandboxed frames) and file:// open the
// WebSocket API. Such pages are refused whatever is configured.
func TestOriginsAreWholeOrigins(t *testing.T) {
	for _, bad := range []string{"dash.example", "https://dash.example/", "https://dash.example/path", "ftp://dash.example", "null"} {
		if _, err := New(Config{Auth: AuthNone, CORSOrigins: []string{bad}}, nil, nil, nil, nil); err == nil {
			t.Errorf("allowed origin %q was accepted", bad)
		}
	}
	env := newStatsEnv(t, Config{CORSOrigins: []string{"https://dash.example", "http://[::1]:8080"}}, stats.Config{})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"null", false},
		{"file://", false},
		{"https://dash.example", true},
		{"http://[::1]:8080", true},
		{"http://::8080", false},
	} {
		conn, _, err := dialStats(t, env, "/api/sse/ws?token="+adminToken, http.Header{"Origin": {tc.origin}})
		if (err == nil) != tc.ok {
			t.Errorf("the WebSocket API from origin %q: %v, want served %v", tc.origin, err, tc.ok)
		}
		if err == nil {
			conn.CloseNow()
		}
	}
}
