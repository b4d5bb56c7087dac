package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"
	"go.uber.org/goleak"

	"hasse/internal/auth"
	"hasse/internal/hass"
	"hasse/internal/hub"
	"hasse/internal/ssetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const adminToken = "admin-secret"

type testEnv struct {
	url  string // the served Server's base URL
	srv  *Server
	hub  *hub.Hub
	link LinkStatus
}

// newTestEnv serves a Server with a running hub until the test ends. Its tokens: adminToken (admin),
// "wall-secret" (user wall, 1 connection).
func newTestEnv(t *testing.T, cfg Config, hcfg hub.Config) *testEnv {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	h, err := hub.New(hcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewStatic([]auth.Entry{
		{Name: "admin", Token: adminToken, Admin: true},
		{Name: "wall", Token: "wall-secret", MaxConnections: 1},
		{Name: "scoped", Token: "scoped-secret", Scopes: &auth.Scopes{Domains: []string{"light"}, EventTypes: []string{"state_changed"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth == "" {
		cfg.Auth = AuthTokens
	}
	env := &testEnv{hub: h, link: LinkStatus{Connected: true, Version: "2025.7.2", Registry: "registries refused (test)"}}
	s, err := New(cfg, h, tokens, func() LinkStatus { return env.link }, log)
	if err != nil {
		t.Fatal(err)
	}
	env.srv = s
	env.url = "http://" + serve(t, h, s)
	return env
}

type errorBody struct {
	Success   bool   `json:"success"`
	Message   string `json:"message"`
	ErrorCode string `json:"error_code"`
}

// do sends req as it is (no redirect followed) and returns the response and its body.
func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	return ssetest.Do(t, noRedirects(http.DefaultTransport), req)
}

func TestRefusalsHaveTheErrorShape(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{})
	bearer := "Bearer " + adminToken
	for _, tc := range []struct {
		name, method, target, auth, body, contentType string
		status                                        int
		code, mention                                 string
	}{
		{"no token", "GET", "/subscribe_events", "", "", "", 401, "UNAUTHORIZED", "token"},
		{"bad token", "GET", "/subscribe_events?token=nope", "", "", "", 401, "UNAUTHORIZED", "token"},
		{"bad bearer", "GET", "/subscribe_events", "Bearer nope", "", "", 401, "UNAUTHORIZED", "token"},
		{"bad entity", "GET", "/subscribe_events?entity_id=light..x", bearer, "", "", 400, "INVALID_PARAMETER", "entity_id"},
		{"bad domain", "GET", "/subscribe_events?domain=Light!", bearer, "", "", 400, "INVALID_PARAMETER", "domain"},
		{"bad format", "GET", "/subscribe_events?format=xml", bearer, "", "", 400, "INVALID_PARAMETER", "format"},
		{"bad throttle", "GET", "/subscribe_events?throttle=soon", bearer, "", "", 400, "INVALID_PARAMETER", "throttle"},
		{"throttle too short", "GET", "/subscribe_events?throttle=10ms", bearer, "", "", 400, "INVALID_PARAMETER", "throttle"},
		{"throttle too long", "GET", "/subscribe_events?throttle=2h", bearer, "", "", 400, "INVALID_PARAMETER", "throttle"},
		{"bad snapshot", "GET", "/subscribe_events?snapshot=yes", bearer, "", "", 400, "INVALID_PARAMETER", "snapshot"},
		{"scope: type", "GET", "/subscribe_events?token=scoped-secret&events=call_service", "", "", "", 403, "FORBIDDEN", "call_service"},
		{"scope: entity", "GET", "/subscribe_events?token=scoped-secret&entity_id=lock.front_door", "", "", "", 403, "FORBIDDEN", "lock.front_door"},
		{"scope: domain", "GET", "/subscribe_events?token=scoped-secret&domain=lock", "", "", "", 403, "FORBIDDEN", "lock"},
		{"bad changes", "GET", "/subscribe_events?changes=all", bearer, "", "", 400, "INVALID_PARAMETER", "changes"},
		{"bad client id", "GET", "/subscribe_events?client_id=a%20b", bearer, "", "", 400, "INVALID_PARAMETER", "client_id"},
		{"long value", "GET", "/subscribe_events?domain=" + strings.Repeat("a", 3000), bearer, "", "", 400, "INVALID_PARAMETER", "domain"},
		{"too many patterns", "GET", "/subscribe_events?entity_id=" + strings.Repeat("light.a*,", 20) + "&domain=" + strings.Repeat("s?,", 13), bearer, "", "", 400, "INVALID_PARAMETER", "33 patterns"},
		{"long unknown", "GET", "/subscribe_events?zz=" + strings.Repeat("a", 3000), bearer, "", "", 400, "INVALID_PARAMETER", "zz"},
		{"area unavailable", "GET", "/subscribe_events?area=kitchen", bearer, "", "", 400, "INVALID_PARAMETER", "registries refused"},
		{"bad query", "GET", "/subscribe_events?domain=%zz", bearer, "", "", 400, "INVALID_PARAMETER", "query"},
		{"bad json", "POST", "/subscribe_events", bearer, `{"events":`, "application/json", 400, "INVALID_PARAMETER", "JSON"},
		{"json object value", "POST", "/subscribe_events", bearer, `{"events":{"a":1}}`, "application/json", 400, "INVALID_PARAMETER", "events"},
		{"body too big", "POST", "/subscribe_events", bearer, `{"domain":"` + strings.Repeat("a", 70<<10) + `"}`, "application/json", 413, "PAYLOAD_TOO_LARGE", "body"},
		{"method", "PUT", "/subscribe_events", bearer, "", "", 405, "METHOD_NOT_ALLOWED", "PUT"},
		{"health method", "POST", "/health", "", "", "", 405, "METHOD_NOT_ALLOWED", "POST"},
		{"unknown path", "GET", "/nowhere", "", "", "", 404, "NOT_FOUND", "/nowhere"},
	} {
		req, err := http.NewRequest(tc.method, env.url+tc.target, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		if tc.contentType != "" {
			req.Header.Set("Content-Type", tc.contentType)
		}
		resp, body := do(t, req)
		var got errorBody
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("%s: body %q is not JSON: %v", tc.name, body, err)
			continue
		}
		if resp.StatusCode != tc.status || got.Success || got.ErrorCode != tc.code || !strings.Contains(got.Message, tc.mention) {
			t.Errorf("%s: %d %+v; want %d, code %s, a message naming %q", tc.name, resp.StatusCode, got, tc.status, tc.code, tc.mention)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, want JSON", tc.name, ct)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
		if tc.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", tc.name)
		}
	}
}

func stateEvent(entity, state string) *hass.Event {
	domain, _, _ := strings.Cut(entity, ".")
	return &hass.Event{
		Type: hass.TypeStateChanged, EntityID: entity, Domain: domain, Entities: []string{entity},
		State: state, StateChanged: true, TimeFired: "2025-03-14T09:31:40.120567+00:00", Origin: "LOCAL",
		Data:     []byte(`{"entity_id":"` + entity + `","old_state":null,"new_state":{"entity_id":"` + entity + `","state":"` + state + `"}}`),
		NewState: []byte(`{"entity_id":"` + entity + `","state":"` + state + `"}`),
		Context:  []byte(`{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":null}`),
	}
}

func TestStreamEnvelope(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{Epoch: "ep"})
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?token="+adminToken+"&domain=light&client_id=wall-1&colour=red", nil)
	resp, events := openStream(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for k, want := range map[string]string{
		"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	ev := next(t, events)
	var conn map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &conn); err != nil {
		t.Fatalf("connection event %q: %v", ev.Data, err)
	}
	want := map[string]any{
		"type": "connection", "status": "connected", "id": "wall-1", "authenticated": true,
		"filters": map[string]any{"domain": []any{"light"}}, "resumed": false, "ignored_params": []any{"colour"},
	}
	delete(conn, "timestamp")
	if diff := cmp.Diff(want, conn); diff != "" || ev.Type != "" || ev.LastEventID != "" {
		t.Errorf("connection event (type %q, id %q) diff (-want +got):\n%s", ev.Type, ev.LastEventID, diff)
	}

	env.hub.Publish(stateEvent("switch.fan", "on"))
	env.hub.Publish(stateEvent("light.hall", "on"))
	ev = next(t, events)
	var got struct{ ID, Type, EntityID, State string }
	if err := json.Unmarshal([]byte(ev.Data), &got); err != nil {
		t.Fatal(err)
	}
	if ev.LastEventID != "ep-2" || got.ID != "ep-2" || got.Type != "state_changed" || got.State != "on" {
		t.Errorf("event id %q data %s; want id ep-2, the light's state_changed", ev.LastEventID, ev.Data)
	}
}

func TestStreamPOSTBodyWinsAndNamedFormat(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{})
	body := `{"token":"` + adminToken + `","events":["service_called"],"format":"named"}`
	req, _ := http.NewRequest("POST", env.url+"/subscribe_events?events=state_changed&format=envelope", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	_, events := openStream(t, req)
	if ev := next(t, events); ev.Type != "connected" || !strings.Contains(ev.Data, `"event_types":["call_service"]`) {
		t.Errorf("first event %q %s; want a named connected event with the body's filter", ev.Type, ev.Data)
	}
	env.hub.Publish(stateEvent("light.hall", "on"))
	env.hub.Publish(&hass.Event{Type: hass.TypeCallService, Domain: "light", Data: []byte(`{"domain":"light","service":"turn_on","service_data":{}}`),
		TimeFired: "2025-03-14T09:31:40+00:00", Origin: "LOCAL", Context: []byte(`{"id":"x","parent_id":null,"user_id":null}`)})
	if ev := next(t, events); ev.Type != "call_service" || !strings.Contains(ev.Data, `"service":"turn_on"`) {
		t.Errorf("event %q %s; want the call_service event", ev.Type, ev.Data)
	}
}

func TestStreamLimits(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{MaxClients: 2})
	open := func(token string) *http.Response {
		req, _ := http.NewRequest("GET", env.url+"/subscribe_events?token="+token, nil)
		resp, events := openStream(t, req)
		if resp.StatusCode == 200 {
			next(t, events) // the connection event: the hub holds the client
		}
		return resp
	}
	if resp := open("wall-secret"); resp.StatusCode != 200 {
		t.Fatalf("first wall stream: %d", resp.StatusCode)
	}
	if resp := open("wall-secret"); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second stream of a 1-connection token: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := open(adminToken); resp.StatusCode != 200 {
		t.Fatalf("admin stream: %d", resp.StatusCode)
	}
	if resp := open(adminToken); resp.StatusCode != 503 {
		t.Errorf("third stream over MaxClients 2: %d, want 503", resp.StatusCode)
	}
}

func TestHealthAndReady(t *testing.T) {
	env := newTestEnv(t, Config{Version: "hasse test"}, hub.Config{})
	get := func(path string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", env.url+path, nil)
		resp, body := do(t, req)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: %q: %v", path, body, err)
		}
		return resp.StatusCode, m
	}
	status, h := get("/health")
	want := map[string]any{
		"status": "healthy", "version": "hasse test", "sseEventsEnabled": true, "sseEventsPath": "/subscribe_events",
		"sseConnectedClients": float64(0), "ha": map[string]any{"connected": true, "version": "2025.7.2", "last_event_at": nil},
	}
	if diff := cmp.Diff(want, h); status != 200 || diff != "" {
		t.Errorf("/health %d, diff (-want +got):\n%s", status, diff)
	}
	if status, _ := get("/ready"); status != 200 {
		t.Errorf("/ready = %d while connected, want 200", status)
	}

	env.link = LinkStatus{Connected: true, Starting: true, Version: "2025.7.2"}
	status, h = get("/health")
	if ha, _ := h["ha"].(map[string]any); status != 200 || h["status"] != "healthy" || ha["starting"] != true {
		t.Errorf("/health while Home Assistant starts: %d %v; want healthy, ha.starting true", status, h)
	}

	env.link = LinkStatus{Problem: "Home Assistant refused the token", Code: "token_refused", RetryAt: time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)}
	status, h = get("/health")
	ha, _ := h["ha"].(map[string]any)
	if status != 200 || h["status"] != "degraded" || !strings.Contains(h["reason"].(string), "refused the token") ||
		ha["code"] != "token_refused" || ha["retry_at"] != "2026-11-25T14:00:00Z" {
		t.Errorf("/health while down: %d %v; want 200, degraded, with the reason, its code and the next try", status, h)
	}
	if status, body := get("/ready"); status != 503 || body["error_code"] != "SERVICE_OVERLOADED" {
		t.Errorf("/ready while down: %d %v; want 503", status, body)
	}
}

func TestPanicAfterTheResponseBeganWritesNoError(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	h := s.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("data: x\n\n"))
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Body.String(); got != "data: x\n\n" {
		t.Errorf("body %q: a panic mid-stream must not append a JSON error", got)
	}
}

func TestPanicIsAnswered500(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler)}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	var got errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 500 || got.ErrorCode != "INTERNAL_ERROR" {
		t.Errorf("panicking handler answered %d %q, want 500 INTERNAL_ERROR", rec.Code, rec.Body)
	}
}

func TestCORS(t *testing.T) {
	env := newTestEnv(t, Config{CORSOrigins: []string{"*"}}, hub.Config{})
	req, _ := http.NewRequest("OPTIONS", env.url+"/subscribe_events", nil)
	req.Header.Set("Origin", "http://dashboard.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization,last-event-id")
	resp, _ := do(t, req)
	if resp.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "last-event-id") {
		t.Errorf("preflight answered %d with headers %v; want CORS allowing Last-Event-ID", resp.StatusCode, resp.Header)
	}
}

func TestResumeOverHTTP(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{Epoch: "ep"})
	open := func(lastID, query string) <-chan sse.Event {
		req, _ := http.NewRequest("GET", env.url+"/subscribe_events?token="+adminToken+query, nil)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		_, events := openStream(t, req)
		return events
	}
	first := open("", "")
	next(t, first) // connection
	for _, e := range []string{"light.a", "light.b", "switch.c", "light.d"} {
		env.hub.Publish(stateEvent(e, "on"))
	}
	for range 4 {
		next(t, first) // all four dispatched
	}

	resumed := open("ep-1", "&domain=light")
	if ev := next(t, resumed); !strings.Contains(ev.Data, `"resumed":true`) {
		t.Errorf("connection event after a good Last-Event-ID: %s, want resumed true", ev.Data)
	}
	for _, want := range []string{"ep-2", "ep-4"} {
		if ev := next(t, resumed); ev.LastEventID != want {
			t.Errorf("replayed id %q, want %q", ev.LastEventID, want)
		}
	}

	byQuery := open("", "&last_event_id=ep-3")
	next(t, byQuery)
	if ev := next(t, byQuery); ev.LastEventID != "ep-4" {
		t.Errorf("resume by last_event_id=ep-3 replayed %q, want ep-4", ev.LastEventID)
	}

	gap := open("old1-7", "")
	if ev := next(t, gap); !strings.Contains(ev.Data, `"resumed":false`) {
		t.Errorf("connection event after a foreign id: %s, want resumed false", ev.Data)
	}
	if ev := next(t, gap); !strings.Contains(ev.Data, `"type":"gap","reason":"epoch_changed","since":"old1-7"`) || ev.LastEventID != "" {
		t.Errorf("after a foreign id: %q (id %q), want an epoch_changed gap without an id", ev.Data, ev.LastEventID)
	}
}

func TestScopedTokenSeesOnlyItsScope(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{Epoch: "ep"})
	for _, query := range []string{"", "&entity_id=lock.*,light.*&events=state_*"} { // nothing asked; patterns: narrowed
		req, _ := http.NewRequest("GET", env.url+"/subscribe_events?token=scoped-secret"+query, nil)
		_, events := openStream(t, req)
		next(t, events)
		env.hub.Publish(stateEvent("lock.front_door", "unlocked"))
		env.hub.Publish(&hass.Event{Type: hass.TypeCallService, Domain: "light", Entities: []string{"light.a"}, Data: []byte(`{"domain":"light"}`)})
		env.hub.Publish(stateEvent("light.a", "on"))
		ev := next(t, events)
		if !strings.Contains(ev.Data, `"entity_id":"light.a"`) || !strings.Contains(ev.Data, `"type":"state_changed"`) {
			t.Errorf("scoped token with %q got %s first, want light.a's state_changed only", query, ev.Data)
		}
	}
}

// serve runs h and srv on a loopback listener of its own, as hasse does (Serve, not Handler
// alone: shutdown, TLS and revalidation live there), until the test ends; it returns the address.
func serve(t *testing.T, h *hub.Hub, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	wg.Go(func() { _ = srv.Serve(ctx, ln) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ln.Addr().String()
}

// openStream and next read the SSE streams of these tests.
var (
	openStream = ssetest.Open
	next       = ssetest.Next
)
