package simulator

import (
	"encoding/json"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

// TestCommandEnvelope walks one connection through HA's id and format rules (HA-PROTOCOL.md §4,
// §5): each step's frame and the one reply it must get.
func TestCommandEnvelope(t *testing.T) {
	_, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	errorReply := func(id any, code, message string) string {
		b, _ := json.Marshal(map[string]any{"id": id, "type": "result", "success": false,
			"error": map[string]any{"code": code, "message": message}})
		return string(b)
	}
	for _, step := range []struct {
		name, send, want string
	}{
		{"ping", `{"id":1,"type":"ping"}`, `{"id":1,"type":"pong"}`},
		{"ping with gap", `{"id":5,"type":"ping"}`, `{"id":5,"type":"pong"}`},
		{"id reuse", `{"id":5,"type":"ping"}`, errorReply(5, "id_reuse", "Identifier values have to increase.")},
		{"lower id", `{"id":2,"type":"ping"}`, errorReply(2, "id_reuse", "Identifier values have to increase.")},
		{"unknown command", `{"id":6,"type":"light/blink"}`, errorReply(6, "unknown_command", "Unknown command.")},
		{"unknown command keeps the id free", `{"id":6,"type":"ping"}`, `{"id":6,"type":"pong"}`},
		{"string id", `{"id":"7","type":"ping"}`, errorReply("7", "invalid_format", "Message incorrectly formatted.")},
		{"float id", `{"id":7.0,"type":"ping"}`, errorReply(7.0, "invalid_format", "Message incorrectly formatted.")},
		{"bool id", `{"id":true,"type":"ping"}`, errorReply(true, "invalid_format", "Message incorrectly formatted.")},
		{"zero id", `{"id":0,"type":"ping"}`, errorReply(0, "invalid_format", "Message incorrectly formatted.")},
		{"negative id", `{"id":-8,"type":"ping"}`, errorReply(-8, "invalid_format", "Message incorrectly formatted.")},
		{"no id", `{"type":"ping"}`, errorReply(nil, "invalid_format", "Message incorrectly formatted.")},
		{"no type", `{"id":7}`, errorReply(7, "invalid_format", "Message incorrectly formatted.")},
		{"type not a string", `{"id":7,"type":3}`, errorReply(7, "invalid_format", "Message incorrectly formatted.")},
		{"not an object", `[42]`, errorReply(0, "invalid_format", "Message incorrectly formatted.")},
		{"format errors keep the id free", `{"id":7,"type":"ping"}`, `{"id":7,"type":"pong"}`},
		{"extra key", `{"id":8,"type":"ping","x":1}`, errorReply(8, "invalid_format", "extra keys not allowed @ data['x']. Got 1")},
		{"a schema error consumes the id", `{"id":8,"type":"ping"}`, errorReply(8, "id_reuse", "Identifier values have to increase.")},
		{"missing key", `{"id":9,"type":"unsubscribe_events"}`,
			errorReply(9, "invalid_format", "required key not provided @ data['subscription']. Got None")},
		{"wrong value type", `{"id":10,"type":"subscribe_events","event_type":7}`,
			errorReply(10, "invalid_format", "expected str for dictionary value @ data['event_type']. Got 7")},
		{"features not ints", `{"id":11,"type":"supported_features","features":{"coalesce_messages":"yes"}}`,
			errorReply(11, "invalid_format", "expected int for dictionary value @ data['features']['coalesce_messages']. Got 'yes'")},
		{"unsubscribe unknown", `{"id":12,"type":"unsubscribe_events","subscription":3}`,
			errorReply(12, "not_found", "Subscription not found.")},
		{"state_reported needs a filter", `{"id":13,"type":"subscribe_events","event_type":"state_reported"}`,
			errorReply(13, "unknown_error", "Event filter is required for event state_reported")},
		{"supported_features", `{"id":14,"type":"supported_features","features":{"other":1}}`,
			`{"id":14,"type":"result","success":true,"result":null}`},
		{"subscribe", `{"id":15,"type":"subscribe_events","event_type":"state_changed"}`,
			`{"id":15,"type":"result","success":true,"result":null}`},
		{"unsubscribe", `{"id":16,"type":"unsubscribe_events","subscription":15}`,
			`{"id":16,"type":"result","success":true,"result":null}`},
		{"unsubscribe twice", `{"id":17,"type":"unsubscribe_events","subscription":15}`,
			errorReply(17, "not_found", "Subscription not found.")},
	} {
		c.send(step.send)
		var got, want any
		raw := c.nextRaw()
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: reply %s: %v", step.name, raw, err)
		}
		if err := json.Unmarshal([]byte(step.want), &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: reply to %s (-want +got):\n%s", step.name, step.send, diff)
		}
	}
}

func TestInvalidJSONCloses(t *testing.T) {
	_, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.send(`{"id":1,"type":"ping"} trailing`)
	if got := c.closed(); got != websocket.StatusNormalClosure {
		t.Errorf("close status %v, want %v", got, websocket.StatusNormalClosure)
	}
}

func TestNonAdminSubscriptions(t *testing.T) {
	_, ts := startSim(t, Config{})
	c := login(t, ts, userToken)
	for i, tc := range []struct {
		eventType string
		allowed   bool
	}{
		{"", false}, // every event
		{"*", false},
		{"call_service", false},
		{"automation_triggered", false},
		{"state_changed", true},
		{"component_loaded", true},
		{"entity_registry_updated", true},
	} {
		msg := map[string]any{"id": i + 1, "type": "subscribe_events"}
		if tc.eventType != "" {
			msg["event_type"] = tc.eventType
		}
		c.sendJSON(msg)
		got := c.next()
		want := map[string]any{"id": float64(i + 1), "type": "result", "success": true, "result": nil}
		if !tc.allowed {
			want = map[string]any{"id": float64(i + 1), "type": "result", "success": false,
				"error": map[string]any{"code": "unauthorized", "message": "Unauthorized"}}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("non-admin subscribe_events %q (-want +got):\n%s", tc.eventType, diff)
		}
	}
}

func TestGetConfig(t *testing.T) {
	_, ts := startSim(t, Config{Version: "2025.1.4"})
	c := login(t, ts, adminToken)
	c.send(`{"id":1,"type":"get_config"}`)
	got := c.next()
	res, _ := got["result"].(map[string]any)
	if got["success"] != true || res["version"] != "2025.1.4" || res["state"] != "RUNNING" {
		t.Fatalf("get_config = %v", got)
	}
	units, _ := res["unit_system"].(map[string]any)
	if units["temperature"] != "°C" {
		t.Errorf("unit_system = %v, want temperature °C", units)
	}
	comps, _ := res["components"].([]any)
	for _, want := range []string{"light", "camera", "websocket_api", "automation"} {
		found := false
		for _, c := range comps {
			found = found || c == want
		}
		if !found {
			t.Errorf("components %v lack %q", comps, want)
		}
	}
}
