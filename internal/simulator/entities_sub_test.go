package simulator

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stateOf returns the current state of one entity.
func stateOf(t *testing.T, s *Simulator, entityID string) State {
	t.Helper()
	for _, st := range s.States() {
		if st.EntityID == entityID {
			return st
		}
	}
	t.Fatalf("no state of %s", entityID)
	return State{}
}

// ts is a time as the compressed format writes it, decoded.
func tsOf(st State, which string) float64 {
	if which == "lc" {
		return float64(st.LastChanged.UnixMicro()) / 1e6
	}
	return float64(st.LastUpdated.UnixMicro()) / 1e6
}

// TestSubscribeEntities checks subscribe_entities (HA-PROTOCOL.md §13): the result, the full
// snapshot, then one compressed message per change, each exactly as HA writes it.
func TestSubscribeEntities(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	uid := userID(t, c, 1)
	c.send(`{"id":2,"type":"subscribe_entities"}`)
	if diff := cmp.Diff(map[string]any{"id": 2.0, "type": "result", "success": true, "result": nil}, c.next()); diff != "" {
		t.Fatalf("first reply (-want +got):\n%s", diff)
	}
	raw := c.nextRaw()
	if !bytes.HasPrefix(raw, []byte(`{"id":2,"type":"event","event":{"a":{`)) {
		t.Errorf("snapshot %.60s…, want it to start as HA's", raw)
	}
	var snap map[string]any
	decode(t, raw, &snap)
	added := snap["event"].(map[string]any)["a"].(map[string]any)
	if got, want := len(added), len(s.States()); got != want {
		t.Errorf("snapshot has %d entities, want all %d", got, want)
	}
	kitchen := stateOf(t, s, "light.kitchen")
	want := map[string]any{"s": "off", "a": jsonValue(t, kitchen.Attributes), "c": kitchen.Context.ID, "lc": tsOf(kitchen, "lc")}
	if diff := cmp.Diff(want, added["light.kitchen"]); diff != "" {
		t.Errorf("snapshot of light.kitchen (-want +got):\n%s", diff)
	}

	type step struct {
		name string
		do   func()
		want func() map[string]any // the event object, built after the change
	}
	probe := map[string]any{"unit_of_measurement": "W", "device_class": "power", "friendly_name": "Probe"}
	for _, st := range []step{
		{"creation", func() { s.SetState("sensor.probe", "1", probe) }, func() map[string]any {
			p := stateOf(t, s, "sensor.probe")
			return map[string]any{"a": map[string]any{"sensor.probe": map[string]any{"s": "1", "a": jsonValue(t, probe), "c": p.Context.ID, "lc": tsOf(p, "lc")}}}
		}},
		{"state change", func() { s.SetState("sensor.probe", "2", probe) }, func() map[string]any {
			p := stateOf(t, s, "sensor.probe")
			return change("sensor.probe", map[string]any{"s": "2", "lc": tsOf(p, "lc"), "c": p.Context.ID}, nil)
		}},
		{"attributes only", func() {
			s.SetState("sensor.probe", "2", map[string]any{"unit_of_measurement": "kW", "device_class": "power", "friendly_name": "Probe", "max": 7})
		}, func() map[string]any {
			p := stateOf(t, s, "sensor.probe")
			return change("sensor.probe", map[string]any{"lu": tsOf(p, "lu"), "c": p.Context.ID, "a": map[string]any{"unit_of_measurement": "kW", "max": 7.0}}, nil)
		}},
		{"attributes removed", func() { s.SetState("sensor.probe", "2", map[string]any{"friendly_name": "Probe"}) }, func() map[string]any {
			p := stateOf(t, s, "sensor.probe")
			return change("sensor.probe", map[string]any{"lu": tsOf(p, "lu"), "c": p.Context.ID}, []any{"device_class", "max", "unit_of_measurement"})
		}},
		{"a user's context", func() {
			c.send(`{"id":3,"type":"call_service","domain":"light","service":"turn_on","target":{"entity_id":"light.kitchen"}}`)
		}, func() map[string]any {
			k := stateOf(t, s, "light.kitchen")
			attrs := map[string]any{"brightness": 204.0, "color_mode": "brightness"}
			return change("light.kitchen", map[string]any{"s": "on", "lc": tsOf(k, "lc"), "c": map[string]any{"user_id": uid, "id": k.Context.ID}, "a": attrs}, nil)
		}},
		{"back to no user", func() { s.SetState("light.kitchen", "on", map[string]any{"friendly_name": "Kitchen"}) }, func() map[string]any {
			k := stateOf(t, s, "light.kitchen")
			return change("light.kitchen", map[string]any{"lu": tsOf(k, "lu"), "c": map[string]any{"user_id": nil, "id": k.Context.ID}},
				[]any{"brightness", "color_mode", "supported_color_modes", "supported_features"})
		}},
		{"removal", func() { s.RemoveState("sensor.probe") }, func() map[string]any {
			return map[string]any{"r": []any{"sensor.probe"}}
		}},
	} {
		st.do()
		var m map[string]any
		for {
			m = c.next()
			if m["type"] != "result" { // the call_service result comes after its diff
				break
			}
		}
		want := map[string]any{"id": 2.0, "type": "event", "event": st.want()}
		if diff := cmp.Diff(want, m); diff != "" {
			t.Errorf("%s: message (-want +got):\n%s", st.name, diff)
		}
	}
}

// change is a diff message's event: {"c":{id:{"+":add,"-":{"a":removed}}}}.
func change(id string, add map[string]any, removed []any) map[string]any {
	diff := map[string]any{"+": add}
	if removed != nil {
		diff["-"] = map[string]any{"a": removed}
	}
	return map[string]any{"c": map[string]any{id: diff}}
}

// TestSubscribeEntitiesFilter checks entity_ids and unsubscribe_events.
func TestSubscribeEntitiesFilter(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, userToken) // anyone may subscribe
	uid := userID(t, c, 1)
	c.send(`{"id":2,"type":"call_service","domain":"light","service":"turn_on","target":{"entity_id":"light.hall"}}`)
	c.untilResult(2)
	c.send(`{"id":3,"type":"subscribe_entities","entity_ids":["light.hall","sensor.nothing"]}`)
	c.next() // result
	var snap map[string]any
	decode(t, c.nextRaw(), &snap)
	added := snap["event"].(map[string]any)["a"].(map[string]any)
	hall, ok := added["light.hall"].(map[string]any)
	if !ok || len(added) != 1 {
		t.Fatalf("snapshot with entity_ids [light.hall sensor.nothing] holds %v, want light.hall only", added)
	}
	want := map[string]any{"id": stateOf(t, s, "light.hall").Context.ID, "parent_id": nil, "user_id": uid}
	if diff := cmp.Diff(want, hall["c"]); diff != "" {
		t.Errorf("light.hall's context, last written by a user (-want +got):\n%s", diff)
	}
	s.SetState("light.kitchen", "on", nil)
	s.SetState("light.hall", "on", nil)
	m := c.next()
	if _, ok := m["event"].(map[string]any)["c"].(map[string]any)["light.hall"]; !ok {
		t.Errorf("first change %v, want light.hall's (light.kitchen is filtered out)", m)
	}
	c.send(`{"id":4,"type":"unsubscribe_events","subscription":3}`)
	c.next()
	s.SetState("light.hall", "off", nil)
	c.send(`{"id":5,"type":"ping"}`)
	if m := c.next(); m["type"] != "pong" {
		t.Errorf("after unsubscribe got %v, want only the pong", m)
	}
	c.send(`{"id":6,"type":"subscribe_entities","entity_ids":"Light.hall, nope"}`)
	want = map[string]any{"id": 6.0, "type": "result", "success": false, "error": map[string]any{"code": "invalid_format",
		"message": "Entity ID nope is an invalid entity ID @ data['entity_ids'][1]. Got 'i'"}}
	if diff := cmp.Diff(want, c.next()); diff != "" {
		t.Errorf("bad entity_ids (-want +got):\n%s", diff)
	}
}

// decode unmarshals a message.
func decode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("message %s: %v", raw, err)
	}
}

// jsonValue is v as a client decodes it from the simulator's JSON.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	var out any
	decode(t, appendJSON(nil, v), &out)
	return out
}
