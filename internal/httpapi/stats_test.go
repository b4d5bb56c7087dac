package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/limit"
	"hasse/internal/stats"
	"hasse/internal/testwait"
)

// The shapes of seed 1's documented responses: their keys, with values of our own of the same
// JSON kind. Every key must be in hasse's answers, with a value of that kind.
const (
	seedStats = `{"success":true,"data":{"active_connections":3,"total_events_sent":907,"events_per_second":1.5,
		"memory_usage":41943040,"cpu_usage":0.7,"uptime":"PT2H","event_backlog":4}}`
	seedConnection = `{"success":true,"data":{"connection":{"id":"sse_1","client_id":"kitchen-panel","user_id":"dana",
		"connected_at":"2026-01-02T08:00:00Z","last_event_at":"2026-01-02T08:01:00Z","events_sent":12,
		"subscriptions":[{"event_type":"call_service","entity_id":"switch.porch"}],"state":"active",
		"ip_address":"10.0.0.7","user_agent":"curl/8.5.0"}}}`
	seedMetrics = `{"success":true,"data":{"metrics":{"connections":{"current":3,"max":7,"average":2.25},
		"events":{"total":907,"rate":{"current":1.5,"max":9.0,"average":0.8}},"latency":{"p50":2,"p95":7,"p99":11},
		"resources":{"memory":{"current":41943040,"max":62914560},"cpu":{"current":0.7,"max":4.0,"average":0.9}}},
		"period":"1h","timestamp":"2026-01-02T08:00:00Z"}}`
	seedError = `{"success":false,"message":"what went wrong","error_code":"SOME_CODE"}`
	// SPEC.md §6.1's shapes where seed 1 shows none.
	specHistory = `{"success":true,"data":{"series":[{"timestamp":"2024-02-05T12:00:00Z","connections":1,
		"events_per_second":1,"latency_p99":1,"memory":1,"cpu":1}],
		"closed_connections":[{"id":"conn_1","duration":1.5,"events_sent":1,"reason":"closed_by_admin"}]}}`
	specAlerts = `{"success":true,"data":{"rules":[{"name":"cpu","metric":"cpu","threshold":90,"for":"5m0s"}],"active":[],"recent":[]}}`
)

func TestStatsRoutesMatchSeedShapes(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{Interval: 20 * time.Millisecond})
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?events=state_changed&entity_id=light.living_room&client_id=client_456", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("User-Agent", "Mozilla/5.0 (test)")
	_, events := openStream(t, req)
	next(t, events) // connected
	ev := stateEvent("light.living_room", "on")
	ev.Received = time.Now()
	env.hub.Publish(ev)
	if got := next(t, events); !strings.Contains(got.Data, `"light.living_room"`) {
		t.Fatalf("stream sent %q, want the state change", got.Data)
	}
	testwait.For(t, 10*time.Second, "last event time", func() bool {
		list := env.hub.List(t.Context())
		return len(list) == 1 && !list[0].LastEventAt().IsZero()
	})

	_, list := env.call(t, "GET", "/api/sse/connections", adminToken, "")
	seedConn := mustJSON(t, seedConnection).(map[string]any)["data"].(map[string]any)["connection"]
	listShape := map[string]any{"success": true, "data": map[string]any{"connections": []any{seedConn}}}
	if miss := missingKeys(listShape, list, ""); len(miss) > 0 {
		t.Errorf("GET /api/sse/connections lacks %v; got %v", miss, list)
	}
	id := list["data"].(map[string]any)["connections"].([]any)[0].(map[string]any)["id"].(string)

	for _, tc := range []struct {
		method, target, body, shape string
	}{
		{"GET", "/api/sse/stats", "", seedStats},
		{"GET", "/api/sse/connections/" + id, "", seedConnection},
		{"GET", "/api/sse/metrics?period=24h", "", seedMetrics},
		{"GET", "/api/sse/metrics", "", seedMetrics},
		{"GET", "/api/sse/alerts", "", specAlerts},
		{"POST", "/get_sse_stats", `{"token":"` + adminToken + `"}`, seedStats},
		{"GET", "/get_sse_stats", "", seedStats},
		{"GET", "/api/sse/connections/nope", "", seedError},
		{"GET", "/api/sse/metrics?period=2h", "", seedError},
	} {
		token := adminToken
		if tc.body != "" {
			token = "" // in the body only
		}
		_, got := env.call(t, tc.method, tc.target, token, tc.body)
		if miss := missingKeys(mustJSON(t, tc.shape), got, ""); len(miss) > 0 {
			t.Errorf("%s %s lacks %v; got %v", tc.method, tc.target, miss, got)
		}
	}

	_, got := env.call(t, "GET", "/api/sse/connections/"+id, adminToken, "")
	conn := got["data"].(map[string]any)["connection"].(map[string]any)
	for k, want := range map[string]any{
		"client_id": "client_456", "user_id": "admin", "events_sent": 1.0, "state": "active",
		"ip_address": "127.0.0.1", "user_agent": "Mozilla/5.0 (test)",
		"subscriptions": []any{map[string]any{"event_type": "state_changed", "entity_id": "light.living_room", "domain": nil}},
	} {
		if !cmp.Equal(conn[k], want) {
			t.Errorf("connection %s = %v, want %v", k, conn[k], want)
		}
	}
	_, got = env.call(t, "POST", "/get_sse_stats", "", `{"token":"`+adminToken+`"}`)
	clients, _ := got["data"].(map[string]any)["clients"].([]any)
	if len(clients) != 1 || missingKeys(seedConn, clients[0], "") != nil {
		t.Errorf("get_sse_stats clients = %v, want the one connection in seed 1's shape", clients)
	}
	_, got = env.call(t, "GET", "/api/sse/metrics?period=24h", adminToken, "")
	if p := got["data"].(map[string]any)["period"]; p != "24h" {
		t.Errorf("metrics period = %v, want 24h", p)
	}

	// An administrator closes the connection: the client is told, the history shows it.
	if status, body := env.call(t, "DELETE", "/api/sse/connections/"+id, adminToken, ""); status != 200 {
		t.Fatalf("DELETE: %d %v", status, body)
	}
	for ev := next(t, events); !strings.Contains(ev.Data, `"disconnect"`); ev = next(t, events) {
	}
	var miss []string
	testwait.For(t, 10*time.Second, "history with a point and the closed connection", func() bool {
		_, got := env.call(t, "GET", "/api/sse/history?period=1h", adminToken, "")
		miss = missingKeys(mustJSON(t, specHistory), got, "")
		return miss == nil
	})
	if status, _ := env.call(t, "GET", "/api/sse/connections/"+id, adminToken, ""); status != 404 {
		t.Errorf("GET of a closed connection: %d, want 404", status)
	}
}

func TestStatsRoutesRefuse(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{})
	routes := []struct{ method, target string }{
		{"GET", "/api/sse/stats"}, {"GET", "/api/sse/connections"}, {"GET", "/api/sse/connections/x"},
		{"DELETE", "/api/sse/connections/x"}, {"GET", "/api/sse/metrics"}, {"GET", "/api/sse/history"},
		{"GET", "/api/sse/alerts"}, {"PUT", "/api/sse/alerts"}, {"POST", "/get_sse_stats"}, {"GET", "/get_sse_stats"},
		{"GET", "/metrics"},
	}
	for _, r := range routes {
		for _, tc := range []struct {
			token  string
			status int
			code   string
		}{{"", 401, "UNAUTHORIZED"}, {"nope", 401, "UNAUTHORIZED"}, {"wall-secret", 403, "FORBIDDEN"}} {
			status, got := env.call(t, r.method, r.target, tc.token, "")
			if status != tc.status || got["error_code"] != tc.code || missingKeys(mustJSON(t, seedError), got, "") != nil {
				t.Errorf("%s %s with token %q: %d %v, want %d %s", r.method, r.target, tc.token, status, got, tc.status, tc.code)
			}
		}
	}
	for _, tc := range []struct {
		method, target, body string
		status               int
		code, mention        string
	}{
		{"GET", "/api/sse/connections/nope", "", 404, "CONNECTION_NOT_FOUND", "nope"},
		{"DELETE", "/api/sse/connections/nope", "", 404, "CONNECTION_NOT_FOUND", "nope"},
		{"GET", "/api/sse/metrics?period=2h", "", 400, "INVALID_PARAMETER", "period"},
		{"GET", "/api/sse/history?period=1y", "", 400, "INVALID_PARAMETER", "period"},
		{"GET", "/api/sse/connections?limit=0", "", 400, "INVALID_PARAMETER", "limit"},
		{"GET", "/api/sse/connections?offset=-1", "", 400, "INVALID_PARAMETER", "offset"},
		{"PUT", "/api/sse/alerts", `{"rules":[{"metric":"mood","threshold":1}]}`, 400, "INVALID_PARAMETER", "mood"},
		{"PUT", "/api/sse/alerts", `{"rulez":[]}`, 400, "INVALID_PARAMETER", "rules"},
		{"PUT", "/api/sse/alerts", `{"rules":[]}garbage`, 400, "INVALID_PARAMETER", "rules"},
		{"PUT", "/api/sse/alerts", `{"rules":[]}}`, 400, "INVALID_PARAMETER", "rules"},
		{"POST", "/api/sse/stats", "", 405, "METHOD_NOT_ALLOWED", "POST"},
	} {
		status, got := env.call(t, tc.method, tc.target, adminToken, tc.body)
		if msg, _ := got["message"].(string); status != tc.status || got["error_code"] != tc.code || !strings.Contains(msg, tc.mention) {
			t.Errorf("%s %s: %d %v, want %d %s naming %q", tc.method, tc.target, status, got, tc.status, tc.code, tc.mention)
		}
	}
}

func TestStatsUnderAuthNoneAndRateLimit(t *testing.T) {
	env := newStatsEnv(t, Config{Auth: AuthNone, IPLimit: limit.Config{Requests: 3, Window: time.Minute}}, stats.Config{})
	for i := range 3 {
		if status, got := env.call(t, "GET", "/api/sse/stats", "", ""); status != 200 || got["success"] != true {
			t.Fatalf("request %d under auth none: %d %v", i+1, status, got)
		}
	}
	if status, got := env.call(t, "GET", "/api/sse/stats", "", ""); status != 429 || got["error_code"] != "RATE_LIMITED" {
		t.Errorf("4th request: %d %v, want 429 RATE_LIMITED", status, got)
	}
}

func TestPutAlertsReplacesRules(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{})
	body := `{"rules":[{"metric":"cpu","threshold":50,"for":"30s"},{"name":"busy","metric":"event_rate","threshold":100}]}`
	status, got := env.call(t, "PUT", "/api/sse/alerts", adminToken, body)
	if status != 200 {
		t.Fatalf("PUT: %d %v", status, got)
	}
	_, got = env.call(t, "GET", "/api/sse/alerts", adminToken, "")
	rules, _ := json.Marshal(got["data"].(map[string]any)["rules"])
	want := `[{"for":"30s","metric":"cpu","name":"cpu","threshold":50},{"for":"0s","metric":"event_rate","name":"busy","threshold":100}]`
	if string(rules) != want {
		t.Errorf("rules after PUT = %s, want %s", rules, want)
	}
}
