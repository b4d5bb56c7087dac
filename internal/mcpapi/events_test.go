package mcpapi_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"hasse/internal/httpapi"
	"hasse/internal/mcpapi"
	"hasse/internal/testwait"
)

// drive makes the simulated home busy (motion in the kitchen, whose automation turns the kitchen
// lights on, then a few dozen steps of activity) and waits until the gateway has it all, by
// waiting for a last marker state through cs (a session that may see sensors).
func (e *env) drive(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	for _, st := range e.sim.States() {
		if st.EntityID == "binary_sensor.kitchen_motion" {
			e.sim.SetState(st.EntityID, "on", st.Attributes)
		}
	}
	for range 40 {
		e.sim.Step()
	}
	e.sim.SetState("sensor.mcp_test_marker", "done", nil)
	testwait.For(t, 10*time.Second, "the marker state", func() bool {
		return call(t, cs, "get_entity_state", map[string]any{"entity_id": "sensor.mcp_test_marker"}, nil) == ""
	})
}

func TestToolsAreListed(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	res, err := e.connect(t, wallToken).ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.OutputSchema == nil || tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("tool %s: output schema %v, annotations %+v; want a schema and read-only", tool.Name, tool.OutputSchema, tool.Annotations)
		}
	}
	slices.Sort(names)
	want := []string{"get_entity_state", "get_recent_events", "get_sse_connection", "get_sse_metrics", "get_sse_stats", "list_sse_connections"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
}

func TestEntityStateIsTheSimulatorsState(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	cs := e.connect(t, adminToken)
	e.sim.SetState("light.kitchen", "on", map[string]any{"friendly_name": "Kitchen", "brightness": 77, "supported_features": 32})
	var got mcpapi.EntityState
	testwait.For(t, 10*time.Second, "light.kitchen at brightness 77", func() bool {
		return call(t, cs, "get_entity_state", map[string]any{"entity_id": "light.kitchen"}, &got) == "" &&
			strings.Contains(string(got.Attributes), `"brightness":77`)
	})
	var want map[string]any
	for _, st := range e.sim.States() {
		if st.EntityID == "light.kitchen" {
			b, _ := json.Marshal(st)
			_ = json.Unmarshal(b, &want)
		}
	}
	b, _ := json.Marshal(got)
	var gotMap map[string]any
	_ = json.Unmarshal(b, &gotMap)
	if gotMap["area"] != "kitchen" || gotMap["area_name"] != "Kitchen" {
		t.Errorf("area %v (%v), want kitchen (Kitchen)", gotMap["area"], gotMap["area_name"])
	}
	delete(gotMap, "area")
	delete(gotMap, "area_name")
	delete(gotMap, "labels")
	if diff := cmp.Diff(want, gotMap); diff != "" {
		t.Errorf("get_entity_state light.kitchen differs from the simulator's state (-sim +tool):\n%s", diff)
	}

	for _, tc := range []struct{ entity, mention string }{
		{"light.nowhere", "no entity"},
		{"light..x", `"entity_id"`},
		{"light.*", "one entity id"},
		{"light.kitchen,light.hall", "one entity id"},
	} {
		if got := call(t, cs, "get_entity_state", map[string]any{"entity_id": tc.entity}, nil); !strings.Contains(got, tc.mention) {
			t.Errorf("get_entity_state(%q) = %q, want an error naming %s", tc.entity, got, tc.mention)
		}
	}
}

// TestRecentEventsFilterAsTheSSEEndpoint asks get_recent_events with the filters of SPEC.md §4.1
// and checks its answer against the SSE endpoint's replay of the same events with the same
// filters (resuming from the epoch's first event), and against what each filter means.
func TestRecentEventsFilterAsTheSSEEndpoint(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	cs := e.connect(t, adminToken)
	e.drive(t, cs)

	var all mcpapi.EventsOutput
	if msg := call(t, cs, "get_recent_events", map[string]any{"limit": 1000}, &all); msg != "" {
		t.Fatal(msg)
	}
	if len(all.Events) < 20 || all.Since == "" {
		t.Fatalf("get_recent_events without a filter: %d events since %q; want the home's activity", len(all.Events), all.Since)
	}
	epoch, _, _ := strings.Cut(all.Events[0].ID, "-")
	kitchen := []string{"light.kitchen", "light.kitchen_island", "media_player.kitchen_speaker", "switch.coffee_machine",
		"sensor.kitchen_temperature", "sensor.fridge_power", "binary_sensor.kitchen_motion", "binary_sensor.back_door", "lock.back_door",
		"automation.kitchen_lights_on_motion", "script.morning_coffee"}
	for _, tc := range []struct {
		name  string
		args  map[string]any
		query string                     // the same filter for the SSE endpoint
		means func(ev mcpapi.Event) bool // what every event must be
	}{
		{"no filter", map[string]any{}, "", func(mcpapi.Event) bool { return true }},
		{"domain", map[string]any{"domain": []string{"light"}}, "domain=light",
			func(ev mcpapi.Event) bool { return ev.Domain == "light" }},
		{"type with its alias", map[string]any{"event_types": []string{"call_service"}}, "events=service_called",
			func(ev mcpapi.Event) bool { return ev.Type == "service_called" }},
		{"type glob", map[string]any{"event_types": []string{"automation_*"}}, "types=automation_*",
			func(ev mcpapi.Event) bool { return ev.Type == "automation_triggered" }},
		{"entity glob", map[string]any{"entity_id": []string{"light.kitchen*"}, "event_types": []string{"state_changed"}}, "entity_id=light.kitchen*&type=state",
			func(ev mcpapi.Event) bool { return strings.HasPrefix(ev.EntityID, "light.kitchen") }},
		{"area", map[string]any{"area": []string{"kitchen"}, "event_types": []string{"state_changed"}}, "area=kitchen&type=state",
			func(ev mcpapi.Event) bool { return slices.Contains(kitchen, ev.EntityID) }},
		{"device class", map[string]any{"device_class": []string{"motion,door"}}, "device_class=motion,door",
			func(ev mcpapi.Event) bool { return strings.HasPrefix(ev.EntityID, "binary_sensor.") }},
		{"changes", map[string]any{"changes": "state", "domain": []string{"sensor"}}, "changes=state&domain=sensor",
			func(ev mcpapi.Event) bool { return ev.Domain == "sensor" }},
	} {
		var got mcpapi.EventsOutput
		if msg := call(t, cs, "get_recent_events", with(tc.args, "limit", 1000), &got); msg != "" {
			t.Errorf("%s: %s", tc.name, msg)
			continue
		}
		if len(got.Events) == 0 {
			t.Errorf("%s: no events; the test's activity should give some", tc.name)
			continue
		}
		for _, ev := range got.Events {
			if !tc.means(ev) {
				t.Errorf("%s: event %s %s of %s does not fit the filter", tc.name, ev.ID, ev.Type, ev.EntityID)
			}
		}
		want := e.replay(t, tc.query, epoch, len(got.Events))
		if diff := cmp.Diff(want, asJSON(t, got.Events)); diff != "" {
			t.Errorf("%s: get_recent_events differs from the SSE endpoint's events (-sse +tool):\n%s", tc.name, diff)
		}
	}

	var newest mcpapi.EventsOutput
	call(t, cs, "get_recent_events", map[string]any{"limit": 2}, &newest)
	if diff := cmp.Diff(all.Events[len(all.Events)-2:], newest.Events); diff != "" {
		t.Errorf("limit 2: not the two newest events (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		args    map[string]any
		mention string
	}{
		{map[string]any{"entity_id": []string{"light..x"}}, `invalid parameter "entity_id"`},
		{map[string]any{"domain": []string{"Light!"}}, `invalid parameter "domain"`},
		{map[string]any{"changes": "all"}, "changes"},
		{map[string]any{"limit": 5000}, "limit"},
		{map[string]any{"colour": "red"}, "colour"},
	} {
		if got := call(t, cs, "get_recent_events", tc.args, nil); !strings.Contains(got, "error") || !strings.Contains(got, tc.mention) {
			t.Errorf("get_recent_events(%v) = %q, want an error naming %s", tc.args, got, tc.mention)
		}
	}
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

// replay returns the first n events the SSE endpoint sends with the filter query when resuming
// from the start of epoch: every matching event the replay ring holds, oldest first.
func (e *env) replay(t *testing.T, query, epoch string, n int) []any {
	t.Helper()
	events := e.stream(t, query+"&last_event_id="+url.QueryEscape(epoch+"-0"), adminToken)
	var out []any
	for len(out) < n {
		ev := next(t, events)
		var data map[string]any
		if err := json.Unmarshal([]byte(ev.Data), &data); err != nil {
			t.Fatalf("SSE data %q: %v", ev.Data, err)
		}
		if _, isEvent := data["id"]; isEvent && data["type"] != "connection" {
			out = append(out, data)
		}
	}
	return out
}

// asJSON returns v as decoded JSON.
func asJSON(t *testing.T, v any) []any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
