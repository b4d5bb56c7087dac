package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"hasse/internal/limit"
	"hasse/internal/stats"
	"hasse/internal/testwait"
)

// dialStats opens the statistics WebSocket with the given headers.
func dialStats(t *testing.T, env *statsEnv, target string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.url, "http")+target, &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, resp, err
}

func wsSend(t *testing.T, conn *websocket.Conn, msg string) {
	t.Helper()
	if err := conn.Write(t.Context(), websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func wsRecv(t *testing.T, conn *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, b, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("message %q is not a JSON object", b)
	}
	return v
}

func TestStatsWebSocketCommands(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{})
	conn, _, err := dialStats(t, env, "/api/sse/ws", http.Header{"Authorization": {"Bearer " + adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	if got := wsRecv(t, conn); got["type"] != "auth_ok" {
		t.Fatalf("first message %v, want auth_ok", got)
	}
	seedData := func(shape string) any { return mustJSON(t, shape).(map[string]any)["data"] }
	for _, tc := range []struct {
		request string
		want    any // the reply, key by key
	}{
		{`{"id":1,"type":"get_sse_stats"}`, map[string]any{"id": 1.0, "type": "get_sse_stats", "success": true, "data": seedData(seedStats)}},
		{`{"id":2,"type":"get_sse_metrics","period":"24h"}`, map[string]any{"id": 2.0, "type": "get_sse_metrics", "success": true, "data": seedData(seedMetrics)}},
		{`{"id":3,"type":"get_sse_metrics","period":"2d"}`, map[string]any{"id": 3.0, "type": "get_sse_metrics", "success": false, "error_code": "INVALID_PARAMETER", "message": ""}},
		{`{"id":4,"type":"get_sse_connection","connection_id":"conn_x"}`, map[string]any{"id": 4.0, "success": false, "error_code": "CONNECTION_NOT_FOUND"}},
		{`{"id":5,"type":"frobnicate"}`, map[string]any{"id": 5.0, "success": false, "error_code": "INVALID_PARAMETER"}},
		{`{"id":6,"type":"get_sse_alerts"}`, map[string]any{"id": 6.0, "success": true, "data": seedData(specAlerts)}},
		{`not json`, map[string]any{"success": false, "error_code": "INVALID_PARAMETER"}},
	} {
		wsSend(t, conn, tc.request)
		got := wsRecv(t, conn)
		if miss := missingKeys(tc.want, got, ""); len(miss) > 0 {
			t.Errorf("%s: reply lacks %v; got %v", tc.request, miss, got)
		}
		for _, k := range []string{"id", "success", "error_code", "type"} {
			if w, ok := tc.want.(map[string]any)[k]; ok && got[k] != w {
				t.Errorf("%s: %s = %v, want %v", tc.request, k, got[k], w)
			}
		}
	}

	// A connection by id.
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?entity_id=light.living_room&events=state_changed&token="+adminToken, nil)
	_, events := openStream(t, req)
	next(t, events)
	env.hub.Publish(stateEvent("light.living_room", "on"))
	next(t, events)
	testwait.For(t, 10*time.Second, "the delivery", func() bool { return !env.hub.List(t.Context())[0].LastEventAt().IsZero() })
	id := env.hub.List(t.Context())[0].ID
	wsSend(t, conn, `{"id":7,"type":"get_sse_connection","connection_id":"`+id+`"}`)
	if got := wsRecv(t, conn); missingKeys(seedData(seedConnection), got["data"], "") != nil || got["id"] != 7.0 {
		t.Errorf("get_sse_connection = %v, want seed 1's connection", got)
	}

	// Pushes.
	wsSend(t, conn, `{"id":8,"type":"subscribe_sse_stats","interval":"1s"}`)
	if got := wsRecv(t, conn); got["success"] != true || got["id"] != 8.0 {
		t.Fatalf("subscribe_sse_stats = %v", got)
	}
	push := wsRecv(t, conn)
	if push["type"] != "sse_stats" || push["id"] != 8.0 || missingKeys(seedData(seedStats), push["data"], "") != nil {
		t.Errorf("push = %v, want sse_stats with seed 1's statistics", push)
	}
	if n := push["data"].(map[string]any)["active_connections"]; n != 1.0 {
		t.Errorf("pushed active_connections = %v, want 1", n)
	}
}

func TestStatsWebSocketAuth(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{})
	// No token in the request: Home Assistant's handshake.
	conn, _, err := dialStats(t, env, "/api/sse/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := wsRecv(t, conn); got["type"] != "auth_required" {
		t.Fatalf("first message %v, want auth_required", got)
	}
	wsSend(t, conn, `{"type":"auth","access_token":"`+adminToken+`"}`)
	if got := wsRecv(t, conn); got["type"] != "auth_ok" {
		t.Fatalf("after auth: %v, want auth_ok", got)
	}
	wsSend(t, conn, `{"id":1,"type":"get_sse_stats"}`)
	if got := wsRecv(t, conn); got["success"] != true {
		t.Errorf("get_sse_stats after auth: %v", got)
	}

	for _, tc := range []struct{ token, code string }{{"nope", "UNAUTHORIZED"}, {"wall-secret", "FORBIDDEN"}, {"", "UNAUTHORIZED"}} {
		conn, _, err := dialStats(t, env, "/api/sse/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		wsRecv(t, conn)
		wsSend(t, conn, `{"type":"auth","access_token":"`+tc.token+`"}`)
		if got := wsRecv(t, conn); got["type"] != "auth_invalid" || got["error_code"] != tc.code {
			t.Errorf("auth with %q: %v, want auth_invalid %s", tc.token, got, tc.code)
		}
		if _, _, err := conn.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Errorf("auth with %q: connection not closed with 1008: %v", tc.token, err)
		}
	}

	// A token in the request is checked before the upgrade.
	for _, tc := range []struct {
		target string
		header http.Header
		status int
	}{
		{"/api/sse/ws?token=nope", nil, 401},
		{"/api/sse/ws", http.Header{"Authorization": {"Bearer wall-secret"}}, 403},
	} {
		_, resp, err := dialStats(t, env, tc.target, tc.header)
		if err == nil || resp == nil || resp.StatusCode != tc.status {
			t.Errorf("%s %v: %v, want HTTP %d", tc.target, tc.header, err, tc.status)
		}
	}
}

// TestStatsWebSocketRefusesInJSON: what is no WebSocket handshake, or comes from an origin not
// allowed, is refused in SPEC.md §8's JSON shape, not the WebSocket library's plain text; a plain
// request without a token is refused 401, as on every endpoint.
func TestStatsWebSocketRefusesInJSON(t *testing.T) {
	env := newStatsEnv(t, Config{CORSOrigins: []string{"https://dash.example"}}, stats.Config{})
	handshake := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}, "Authorization": {"Bearer " + adminToken}}
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
		code   string
	}{
		{"no handshake", http.Header{"Authorization": {"Bearer " + adminToken}}, 426, "INVALID_PARAMETER"},
		{"no handshake, no token", nil, 401, "UNAUTHORIZED"},
		{"another origin", http.Header{"Origin": {"https://evil.example"}}, 403, "FORBIDDEN"},
		{"bad version", http.Header{"Sec-Websocket-Version": {"8"}}, 400, "INVALID_PARAMETER"},
	} {
		req, _ := http.NewRequest("GET", env.url+"/api/sse/ws", nil)
		if tc.status == 403 || tc.status == 400 {
			req.Header = handshake.Clone()
		}
		for k, v := range tc.header {
			req.Header[k] = v
		}
		resp, body := do(t, req)
		var e errorBody
		if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != tc.status || e.ErrorCode != tc.code || e.Message == "" {
			t.Errorf("%s: %d %q; want %d with error_code %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
}

func TestStatsWebSocketEndsWithTheGateway(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{})
	conn, _, err := dialStats(t, env, "/api/sse/ws?token="+adminToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	wsRecv(t, conn) // auth_ok
	env.stop()
	if _, _, err := conn.Read(t.Context()); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("after the collector stopped: %v, want close 1001", err)
	}
}

// TestStatsWebSocketMessagesAreRateLimited checks the choice made for the WebSocket API: each
// message counts against its client IP's rate limit as a request does (an outside review sent
// 48,968 requests in 5 s on one socket); over it, the message is answered RATE_LIMITED and the
// socket stays open. An authenticated socket is not closed for being quiet: a dashboard holds
// its subscription for hours, and a dead peer is found by TCP keep-alives.
func TestStatsWebSocketMessagesAreRateLimited(t *testing.T) {
	env := newStatsEnv(t, Config{IPLimit: limit.Config{Requests: 5, Window: time.Hour}}, stats.Config{})
	conn, _, err := dialStats(t, env, "/api/sse/ws?token="+adminToken, nil) // the request is the first of 5
	if err != nil {
		t.Fatal(err)
	}
	wsRecv(t, conn) // auth_ok
	var codes []any
	for i := range 6 {
		wsSend(t, conn, fmt.Sprintf(`{"id":%d,"type":"get_sse_stats"}`, i+1))
		got := wsRecv(t, conn)
		if got["id"] != float64(i+1) {
			t.Fatalf("answer %v to request %d", got, i+1)
		}
		codes = append(codes, got["error_code"])
	}
	want := []any{nil, nil, nil, nil, "RATE_LIMITED", "RATE_LIMITED"}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("error codes of six requests on a socket with four left (-want +got):\n%s", diff)
	}
}
