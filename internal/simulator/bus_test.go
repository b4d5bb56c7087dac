package simulator

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	timestampRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$`)
	ulidRE      = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)
	userIDRE    = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

func TestSubscribeEvents(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(3, "state_changed")
	c.subscribe(4, "")                // every event
	c.subscribe(5, "*")               // every event too
	c.subscribe(6, "my_custom_event") // one type of its own

	s.FireEvent("my_custom_event", map[string]any{"answer": 42})
	var got []float64
	for range 3 {
		m := c.next()
		ev := m["event"].(map[string]any)
		if ev["event_type"] != "my_custom_event" {
			t.Fatalf("got %v, want my_custom_event", m)
		}
		if diff := cmp.Diff(map[string]any{"answer": float64(42)}, ev["data"]); diff != "" {
			t.Errorf("event data (-want +got):\n%s", diff)
		}
		got = append(got, m["id"].(float64))
	}
	if diff := cmp.Diff([]float64{6, 4, 5}, got); diff != "" {
		t.Errorf("my_custom_event went to subscriptions (-want +got):\n%s", diff)
	}

	c.send(`{"id":7,"type":"unsubscribe_events","subscription":4}`)
	if m := c.next(); m["success"] != true {
		t.Fatalf("unsubscribe: %v", m)
	}
	s.SetState("sensor.test_probe", "1", nil)
	got = got[:0]
	for range 2 {
		raw := c.nextRaw()
		if !bytes.HasSuffix(raw, []byte(`,"id":3}`)) && !bytes.HasSuffix(raw, []byte(`,"id":5}`)) {
			t.Errorf("event frame %s does not end with its subscription id", raw)
		}
		got = append(got, float64(raw[len(raw)-2]-'0'))
	}
	if diff := cmp.Diff([]float64{3, 5}, got); diff != "" {
		t.Errorf("state_changed went to subscriptions (-want +got):\n%s", diff)
	}
}

func TestEventShape(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(1, "state_changed")
	s.SetState("sensor.test_probe", "1", map[string]any{"unit_of_measurement": "W"})
	m := c.next()
	if m["type"] != "event" || m["id"] != float64(1) {
		t.Fatalf("message %v, want an event of subscription 1", m)
	}
	ev := m["event"].(map[string]any)
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	if diff := cmp.Diff([]string{"context", "data", "event_type", "origin", "time_fired"}, keys(ev)); diff != "" {
		t.Errorf("event keys (-want +got):\n%s", diff)
	}
	if ev["origin"] != "LOCAL" || !timestampRE.MatchString(ev["time_fired"].(string)) {
		t.Errorf("origin %v, time_fired %v", ev["origin"], ev["time_fired"])
	}
	ctx := ev["context"].(map[string]any)
	if !ulidRE.MatchString(ctx["id"].(string)) || ctx["parent_id"] != nil || ctx["user_id"] != nil {
		t.Errorf("context %v, want a ULID id and null parent_id and user_id", ctx)
	}
	data := ev["data"].(map[string]any)
	if data["entity_id"] != "sensor.test_probe" || data["old_state"] != nil {
		t.Errorf("creation data %v, want entity_id and old_state null", data)
	}
	ns := data["new_state"].(map[string]any)
	if diff := cmp.Diff([]string{"attributes", "context", "entity_id", "last_changed", "last_reported", "last_updated", "state"}, keys(ns)); diff != "" {
		t.Errorf("state keys (-want +got):\n%s", diff)
	}
	if ns["last_updated"] != ev["time_fired"] || ns["last_reported"] != ns["last_updated"] {
		t.Errorf("new_state times %v, %v; time_fired %v: want all equal", ns["last_updated"], ns["last_reported"], ev["time_fired"])
	}
	if diff := cmp.Diff(ctx, ns["context"]); diff != "" {
		t.Errorf("new_state context differs from the event's (-event +state):\n%s", diff)
	}
}

// TestStateWriteRules checks HA's state machine: what fires state_changed and which timestamps
// move (HA-PROTOCOL.md §7).
func TestStateWriteRules(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(1, "state_changed")
	nextState := func() (old, new map[string]any) {
		t.Helper()
		data := c.next()["event"].(map[string]any)["data"].(map[string]any)
		old, _ = data["old_state"].(map[string]any)
		new, _ = data["new_state"].(map[string]any)
		return old, new
	}
	attrs := map[string]any{"unit_of_measurement": "°C", "min": 7}

	s.SetState("sensor.probe", "20.5", attrs)
	_, created := nextState()

	s.SetState("sensor.probe", "20.5", map[string]any{"unit_of_measurement": "°C", "min": 7.0}) // equal: 7 == 7.0
	s.SetState("sensor.probe", "20.5", map[string]any{"unit_of_measurement": "°C", "min": 8})
	old, attrOnly := nextState()
	if old["last_updated"] != created["last_updated"] {
		t.Errorf("an identical write fired state_changed (old_state %v, want the created state)", old)
	}
	if attrOnly["last_changed"] != created["last_changed"] || attrOnly["last_updated"] == created["last_updated"] {
		t.Errorf("attribute change: last_changed %v (want %v), last_updated %v (want it moved)",
			attrOnly["last_changed"], created["last_changed"], attrOnly["last_updated"])
	}

	s.SetState("sensor.probe", "21.0", map[string]any{"unit_of_measurement": "°C", "min": 8})
	_, changed := nextState()
	if changed["last_changed"] == attrOnly["last_changed"] || changed["last_changed"] != changed["last_updated"] {
		t.Errorf("state change: last_changed %v, last_updated %v; want both moved", changed["last_changed"], changed["last_updated"])
	}

	s.SetState("sensor.probe", "21.0", map[string]any{"unit_of_measurement": "°C", "min": 8})
	var probe State
	for _, st := range s.States() {
		if st.EntityID == "sensor.probe" {
			probe = st
		}
	}
	if isoformat(probe.LastUpdated) != changed["last_updated"] || !probe.LastReported.After(probe.LastUpdated) {
		t.Errorf("after an identical write: last_updated %v (want %v), last_reported %v (want later)",
			isoformat(probe.LastUpdated), changed["last_updated"], isoformat(probe.LastReported))
	}

	s.RemoveState("sensor.probe")
	old, removed := nextState()
	if removed != nil || old["state"] != "21.0" {
		t.Errorf("removal: old_state %v, new_state %v; want the last state and null", old, removed)
	}
	s.RemoveState("sensor.probe") // unknown now: nothing fires
	s.SetState("sensor.probe2", "x", nil)
	if _, n := nextState(); n["entity_id"] != "sensor.probe2" {
		t.Errorf("next event is about %v, want sensor.probe2 (removing an unknown entity fires nothing)", n["entity_id"])
	}
}
