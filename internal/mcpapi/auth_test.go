package mcpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"hasse/internal/httpapi"
	"hasse/internal/mcpapi"
)

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

// TestRefusalsBeforeMCP checks that what MCP does not get to answer is refused in the error shape
// of SPEC.md §8: no token, a bad token, the wrong method, a body that is not JSON or too big.
func TestRefusalsBeforeMCP(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	mcpHeaders := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
	for _, tc := range []struct {
		name, method, path, token, body string
		header                          map[string]string
		status                          int
		code                            string
	}{
		{"no token", "POST", "/mcp", "", initialize, mcpHeaders, 401, "UNAUTHORIZED"},
		{"bad token", "POST", "/mcp", "nope", initialize, mcpHeaders, 401, "UNAUTHORIZED"},
		{"bad query token", "POST", "/mcp?token=nope", "", initialize, mcpHeaders, 401, "UNAUTHORIZED"},
		{"GET", "GET", "/mcp", adminToken, "", map[string]string{"Accept": "text/event-stream"}, 405, "METHOD_NOT_ALLOWED"},
		{"DELETE", "DELETE", "/mcp", adminToken, "", nil, 405, "METHOD_NOT_ALLOWED"},
		{"not JSON", "POST", "/mcp", adminToken, initialize, map[string]string{"Content-Type": "text/plain", "Accept": "application/json, text/event-stream"}, 415, "INVALID_PARAMETER"},
		{"no Accept", "POST", "/mcp", adminToken, initialize, map[string]string{"Content-Type": "application/json"}, 400, "INVALID_PARAMETER"},
		{"too big", "POST", "/mcp", adminToken, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", 70<<10) + `"}}`, mcpHeaders, 413, "PAYLOAD_TOO_LARGE"},
	} {
		resp, body := e.rest(t, tc.method, tc.path, tc.token, strings.NewReader(tc.body), tc.header)
		var got struct {
			Success   bool   `json:"success"`
			Message   string `json:"message"`
			ErrorCode string `json:"error_code"`
		}
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != tc.status || got.Success || got.ErrorCode != tc.code || got.Message == "" {
			t.Errorf("%s: %d %s; want %d %s in the error shape", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}

	client := mcp.NewClient(&mcp.Implementation{Name: "hasse-test", Version: "1"}, nil)
	if cs, err := client.Connect(t.Context(), &mcp.StreamableClientTransport{
		Endpoint: e.base + "/mcp", HTTPClient: &http.Client{Transport: bearer("nope")}, MaxRetries: -1,
	}, nil); err == nil {
		cs.Close()
		t.Error("an MCP client with a bad token connected")
	}

	// A client that cannot set headers may put the token in the query, as on the SSE endpoint.
	byQuery := &mcp.StreamableClientTransport{Endpoint: e.base + "/mcp?token=" + adminToken}
	cs, err := client.Connect(t.Context(), byQuery, nil)
	if err != nil {
		t.Fatalf("connect with the token in the query: %v", err)
	}
	defer cs.Close()
	if got := call(t, cs, "get_entity_state", map[string]any{"entity_id": "light.kitchen"}, nil); got != "" {
		t.Errorf("get_entity_state with the token in the query: %s", got)
	}
}

var statsTools = []string{"get_sse_stats", "list_sse_connections", "get_sse_connection", "get_sse_metrics"}

// TestNonAdminsAndScopes checks that a user who is not an administrator is refused the statistics
// tools, and that a scoped token's tools see only its scope, as on the SSE endpoint, while an
// administrator's calls in between see everything.
func TestNonAdminsAndScopes(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	admin, wall, scoped := e.connect(t, adminToken), e.connect(t, wallToken), e.connect(t, scopedToken)
	e.drive(t, admin)
	for _, tool := range statsTools {
		args := map[string]any{"connection_id": "conn_x"}
		if tool != "get_sse_connection" {
			args = nil
		}
		for name, cs := range map[string]*mcp.ClientSession{"wall": wall, "scoped": scoped} {
			if got := call(t, cs, tool, args, nil); !strings.Contains(got, "administrators only") {
				t.Errorf("%s as %s = %q, want a refusal", tool, name, got)
			}
		}
		if got := call(t, admin, tool, args, nil); strings.Contains(got, "administrators only") {
			t.Errorf("%s as admin = %q", tool, got)
		}
	}

	types := func(cs *mcp.ClientSession) map[string]int {
		var out mcpapi.EventsOutput
		if msg := call(t, cs, "get_recent_events", map[string]any{"limit": 1000}, &out); msg != "" {
			t.Fatal(msg)
		}
		seen := map[string]int{}
		for _, ev := range out.Events {
			seen[ev.Type+" "+ev.Domain]++
		}
		return seen
	}
	for round := range 2 { // the sessions take turns: each call acts as its own user
		if got := types(wall); got["service_called light"] != 0 || got["state_changed light"] == 0 {
			t.Errorf("round %d: wall (no admin, no scopes) saw %v; want light state changes and, as Home Assistant's non-admin users, no service calls", round, got)
		}
		got := types(scoped)
		if got["state_changed light"] == 0 || len(got) != 1 {
			t.Errorf("round %d: scoped (light state changes) saw %v; want light state changes only", round, got)
		}
	}

	for _, tc := range []struct {
		tool    string
		args    map[string]any
		mention string
	}{
		{"get_recent_events", map[string]any{"domain": []string{"lock"}}, `"lock" (parameter "domain") is outside what this token may see`},
		{"get_recent_events", map[string]any{"event_types": []string{"call_service"}}, `"call_service" (parameter "event_types") is outside`},
		{"get_entity_state", map[string]any{"entity_id": "lock.front_door"}, `"lock.front_door" (parameter "entity_id") is outside`},
	} {
		if got := call(t, scoped, tc.tool, tc.args, nil); !strings.Contains(got, tc.mention) {
			t.Errorf("scoped %s(%v) = %q, want a refusal: %s", tc.tool, tc.args, got, tc.mention)
		}
		if got := call(t, admin, tc.tool, tc.args, nil); got != "" {
			t.Errorf("admin %s(%v) = %q, want an answer", tc.tool, tc.args, got)
		}
	}
	if got := call(t, scoped, "get_entity_state", map[string]any{"entity_id": "light.kitchen"}, nil); got != "" {
		t.Errorf("scoped get_entity_state(light.kitchen) = %q, want its state", got)
	}
}

// TestEntityStateTellsNothingBeyondTheScope checks the choice made for get_entity_state and a
// token whose scope names only event types (here call_service, so no state): an entity that
// exists and one that does not get the same answer, so the token cannot learn which ids exist.
func TestEntityStateTellsNothingBeyondTheScope(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	calls := e.connect(t, callsToken)
	known := call(t, calls, "get_entity_state", map[string]any{"entity_id": "light.kitchen"}, nil)
	unknown := call(t, calls, "get_entity_state", map[string]any{"entity_id": "light.nowhere"}, nil)
	if known == "" || strings.ReplaceAll(known, "light.kitchen", "X") != strings.ReplaceAll(unknown, "light.nowhere", "X") {
		t.Errorf("get_entity_state of an entity that exists: %q, of one that does not: %q; want the same refusal", known, unknown)
	}
	if got := call(t, e.connect(t, adminToken), "get_entity_state", map[string]any{"entity_id": "light.kitchen"}, nil); got != "" {
		t.Errorf("the admin's get_entity_state(light.kitchen) = %q, want the state", got)
	}
}

// TestHomeAssistantUsers runs the gateway under auth ha: Home Assistant's own users, checked by
// asking Home Assistant. Its non-admin user sees what Home Assistant lets it subscribe to, never
// call_service, and no statistics.
func TestHomeAssistantUsers(t *testing.T) {
	e := newEnv(t, httpapi.AuthHA)
	admin, user := e.connect(t, haAdminToken), e.connect(t, haUserToken)
	e.drive(t, admin)
	if got := call(t, user, "get_sse_stats", nil, nil); !strings.Contains(got, "administrators only") {
		t.Errorf("get_sse_stats as a non-admin user = %q, want a refusal", got)
	}
	if got := call(t, admin, "get_sse_stats", nil, nil); got != "" {
		t.Errorf("get_sse_stats as the admin = %q", got)
	}
	if got := call(t, user, "get_recent_events", map[string]any{"event_types": []string{"call_service"}}, nil); !strings.Contains(got, "outside what this token may see") {
		t.Errorf("get_recent_events of call_service as a non-admin user = %q, want a refusal", got)
	}
	var out mcpapi.EventsOutput
	if msg := call(t, user, "get_recent_events", map[string]any{"limit": 1000}, &out); msg != "" {
		t.Fatal(msg)
	}
	states := 0
	for _, ev := range out.Events {
		switch ev.Type {
		case "state_changed":
			states++
		case "service_called", "automation_triggered", "script_executed":
			t.Errorf("a non-admin user saw %s %s", ev.Type, ev.ID)
		}
	}
	if states == 0 {
		t.Error("a non-admin user saw no state changes")
	}
	if got := call(t, user, "get_entity_state", map[string]any{"entity_id": "light.kitchen"}, nil); got != "" {
		t.Errorf("get_entity_state as a non-admin user = %q, want its state", got)
	}
}
