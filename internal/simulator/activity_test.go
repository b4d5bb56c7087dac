package simulator

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recordSteps runs n activity steps on a fresh home with seed and returns what a client subscribed
// to every event saw: one line per event with its type, entity and new state. sun.sun follows the
// real clock, so only the fact that it moved is kept.
func recordSteps(t *testing.T, seed int64, n int) []string {
	t.Helper()
	s, ts := startSim(t, Config{Seed: seed})
	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	for range n {
		s.Step()
	}
	s.FireEvent("test_done", nil)
	var lines []string
	for {
		ev := c.next()["event"].(map[string]any)
		data, _ := ev["data"].(map[string]any)
		switch ev["event_type"] {
		case "test_done":
			return lines
		case "state_changed":
			ns, _ := data["new_state"].(map[string]any)
			if data["entity_id"] == "sun.sun" {
				continue
			}
			lines = append(lines, fmt.Sprintf("state_changed %v %v", data["entity_id"], ns["state"]))
		default:
			lines = append(lines, fmt.Sprintf("%v %v", ev["event_type"], data))
		}
	}
}

func TestSeedReplays(t *testing.T) {
	first := recordSteps(t, 42, 400)
	if len(first) < 400 {
		t.Fatalf("400 steps made %d events, want at least one a step", len(first))
	}
	if diff := cmp.Diff(first, recordSteps(t, 42, 400)); diff != "" {
		t.Errorf("seed 42 twice gave different events (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(first, recordSteps(t, 43, 400)); diff == "" {
		t.Error("seeds 42 and 43 gave the same events")
	}
	kinds := map[string]bool{}
	for _, l := range first {
		var kind string
		fmt.Sscan(l, &kind)
		kinds[kind] = true
	}
	for _, want := range []string{"state_changed", "call_service", "automation_triggered", "script_started"} {
		if !kinds[want] {
			t.Errorf("400 steps fired no %s", want)
		}
	}
}

// TestAutomationChain checks the events of one automation run (HA-PROTOCOL.md §16): the trigger's
// state_changed, then automation_triggered in a new context whose parent is the trigger's, then
// the automation's state, the service call and the state it causes, and the automation's state
// again, all in that context.
func TestAutomationChain(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	s.SetState("binary_sensor.hall_motion", "on", map[string]any{"device_class": "motion", "friendly_name": "Hall motion"})

	type step struct{ eventType, entity string }
	var got []step
	var events []map[string]any
	for len(got) < 6 {
		ev := c.next()["event"].(map[string]any)
		data := ev["data"].(map[string]any)
		entity, _ := data["entity_id"].(string)
		if ev["event_type"] == "call_service" {
			entity = fmt.Sprint(data["service_data"].(map[string]any)["entity_id"])
		}
		got = append(got, step{ev["event_type"].(string), entity})
		events = append(events, ev)
	}
	want := []step{
		{"state_changed", "binary_sensor.hall_motion"},
		{"automation_triggered", "automation.hall_light_on_motion"},
		{"state_changed", "automation.hall_light_on_motion"},
		{"call_service", "[light.hall]"},
		{"state_changed", "light.hall"},
		{"state_changed", "automation.hall_light_on_motion"},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(step{})); diff != "" {
		t.Fatalf("automation run (-want +got):\n%s", diff)
	}
	ctxOf := func(ev map[string]any) map[string]any { return ev["context"].(map[string]any) }
	trigger, run := ctxOf(events[0]), ctxOf(events[1])
	if run["parent_id"] != trigger["id"] || run["id"] == trigger["id"] || run["user_id"] != nil {
		t.Errorf("automation context %v, want a new id whose parent is the trigger's %v", run, trigger["id"])
	}
	for i, ev := range events[1:] {
		if diff := cmp.Diff(run, ctxOf(ev)); diff != "" {
			t.Errorf("event %d (%v) context (-run +got):\n%s", i+1, got[i+1], diff)
		}
	}
	if diff := cmp.Diff(map[string]any{"name": "Hall light on motion", "entity_id": "automation.hall_light_on_motion",
		"source": "state of binary_sensor.hall_motion"}, events[1]["data"]); diff != "" {
		t.Errorf("automation_triggered data (-want +got):\n%s", diff)
	}
	running := events[2]["data"].(map[string]any)["new_state"].(map[string]any)["attributes"].(map[string]any)
	if running["current"] != float64(1) || running["last_triggered"] != events[1]["time_fired"] {
		t.Errorf("automation while running: current %v, last_triggered %v; want 1 and %v",
			running["current"], running["last_triggered"], events[1]["time_fired"])
	}
	light := events[4]["data"].(map[string]any)["new_state"].(map[string]any)
	if attrs := light["attributes"].(map[string]any); light["state"] != "on" || attrs["brightness"] != float64(204) {
		t.Errorf("light.hall after brightness_pct 80: %v %v, want on with brightness 204", light["state"], attrs)
	}
	done := events[5]["data"].(map[string]any)["new_state"].(map[string]any)["attributes"].(map[string]any)
	if done["current"] != float64(0) {
		t.Errorf("automation after its run: current %v, want 0", done["current"])
	}
}

func TestScriptRun(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	s.do(t.Context(), func(h *home) {
		_ = h.callService("script", "turn_on", map[string]any{"entity_id": "script.morning_coffee"}, h.newContext("", h.sim.users[0].id))
	})
	var types []string
	var ctxIDs []any
	for len(types) < 8 {
		ev := c.next()["event"].(map[string]any)
		data := ev["data"].(map[string]any)
		types = append(types, fmt.Sprint(ev["event_type"], " ", data["entity_id"], data["service"]))
		ctxIDs = append(ctxIDs, ev["context"].(map[string]any)["id"])
	}
	want := []string{
		"call_service <nil>turn_on",
		"script_started script.morning_coffee<nil>",
		"state_changed script.morning_coffee<nil>",
		"call_service <nil>turn_on",
		"state_changed switch.coffee_machine<nil>",
		"call_service <nil>turn_on",
		"state_changed light.kitchen<nil>",
		"state_changed script.morning_coffee<nil>",
	}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("script run (-want +got):\n%s", diff)
	}
	for i := range ctxIDs {
		if ctxIDs[i] != ctxIDs[0] {
			t.Errorf("event %d (%s) has context %v, want the caller's %v", i, types[i], ctxIDs[i], ctxIDs[0])
		}
	}
}
