package mcpapi_test

import (
	"strings"
	"testing"

	"hasse/internal/httpapi"
	"hasse/internal/mcpapi"
)

// TestSecretsInServiceCallsNeverLeave makes the call an outside review made, a lock.unlock with its
// code, and secrets one and two levels down, and checks that no surface shows them to an admin,
// who sees every service call: the SSE endpoint in both formats (live and replayed) and MCP.
func TestSecretsInServiceCallsNeverLeave(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	envelope := e.stream(t, "events=call_service", adminToken)
	named := e.stream(t, "events=call_service&format=named", adminToken)
	next(t, envelope) // connection
	next(t, named)
	secrets := []string{"4711-SECRET", "hunter2", "t0ken-1", "api-k3y", "pin-0000"}
	e.sim.FireEvent("call_service", map[string]any{"domain": "lock", "service": "unlock", "service_data": map[string]any{
		"entity_id": "lock.front_door", "code": "4711-SECRET",
		"variables": map[string]any{"password": "hunter2", "who": "guest"},
		"creds":     map[string]any{"token": "t0ken-1", "more": []any{map[string]any{"api_key": "api-k3y", "pin": "pin-0000"}}},
	}})

	check := func(where, text string) {
		t.Helper()
		if !strings.Contains(text, "lock.front_door") || !strings.Contains(text, "guest") {
			t.Errorf("%s: %s; want the call, without its secrets", where, text)
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q: %s", where, s, text)
			}
		}
	}
	check("the envelope stream", next(t, envelope).Data)
	check("the named stream", next(t, named).Data)
	replayed := e.stream(t, "events=call_service&last_event_id="+strings.SplitN(lastID(t, e), "-", 2)[0]+"-0", adminToken)
	for ev := next(t, replayed); ; ev = next(t, replayed) {
		if strings.Contains(ev.Data, "lock.front_door") {
			check("the replay", ev.Data)
			break
		}
	}
	var out mcpapi.EventsOutput
	if msg := call(t, e.connect(t, adminToken), "get_recent_events", map[string]any{"event_types": []string{"call_service"}, "domain": []string{"lock"}}, &out); msg != "" || len(out.Events) != 1 {
		t.Fatalf("get_recent_events: %s, %d events", msg, len(out.Events))
	}
	check("MCP get_recent_events", string(out.Events[0].Data))
}

// lastID returns the id of the newest event the gateway holds.
func lastID(t *testing.T, e *env) string {
	t.Helper()
	var out mcpapi.EventsOutput
	if msg := call(t, e.connect(t, adminToken), "get_recent_events", map[string]any{"limit": 1}, &out); msg != "" || len(out.Events) != 1 {
		t.Fatalf("get_recent_events: %s, %d events", msg, len(out.Events))
	}
	return out.Events[0].ID
}
