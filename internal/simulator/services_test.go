package simulator

import (
	"fmt"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// untilResult reads messages until the result of command id and returns the others before it.
func (c *client) untilResult(id int) (before []map[string]any, result map[string]any) {
	c.t.Helper()
	for {
		m := c.next()
		if m["type"] == "result" && m["id"] == float64(id) {
			return before, m
		}
		before = append(before, m)
	}
}

// userID returns the id of the user a token logs in as, from auth/current_user.
func userID(t *testing.T, c *client, id int) string {
	t.Helper()
	c.sendJSON(map[string]any{"id": id, "type": "auth/current_user"})
	_, res := c.untilResult(id)
	return res["result"].(map[string]any)["id"].(string)
}

// TestCallServiceOrder checks a client's service call as HA runs it (HA-PROTOCOL.md §11): the
// call_service event with the target merged into service_data, then the state_changed events it
// causes, then the result, all in one new context of the calling user, for both users.
func TestCallServiceOrder(t *testing.T) {
	for name, token := range map[string]string{"admin": adminToken, "non-admin": userToken} {
		t.Run(name, func(t *testing.T) {
			_, ts := startSim(t, Config{})
			watcher := login(t, ts, adminToken)
			watcher.subscribe(1, "")
			c := login(t, ts, token)
			uid := userID(t, c, 1)
			c.sendJSON(map[string]any{"id": 2, "type": "call_service", "domain": "light", "service": "turn_on",
				"service_data": map[string]any{"brightness_pct": 80}, "target": map[string]any{"entity_id": []any{"light.kitchen", "light.hall"}}})
			before, res := c.untilResult(2)
			if len(before) != 0 {
				t.Errorf("caller got %v before its result, want nothing (it subscribed to nothing)", before)
			}
			if res["success"] != true {
				t.Fatalf("call_service result %v", res)
			}
			ctx := res["result"].(map[string]any)["context"].(map[string]any)
			if !ulidRE.MatchString(ctx["id"].(string)) || ctx["parent_id"] != nil || ctx["user_id"] != uid {
				t.Errorf("result context %v, want a new ULID, no parent, user %s", ctx, uid)
			}

			var got []string
			for range 3 {
				ev := watcher.next()["event"].(map[string]any)
				data := ev["data"].(map[string]any)
				if diff := cmp.Diff(ctx, ev["context"]); diff != "" {
					t.Errorf("%v context differs from the result's (-result +event):\n%s", ev["event_type"], diff)
				}
				switch ev["event_type"] {
				case "call_service":
					want := map[string]any{"domain": "light", "service": "turn_on", "service_data": map[string]any{
						"brightness_pct": float64(80), "entity_id": []any{"light.kitchen", "light.hall"}}}
					if diff := cmp.Diff(want, data); diff != "" {
						t.Errorf("call_service data (-want +got):\n%s", diff)
					}
					got = append(got, "call_service")
				default:
					ns := data["new_state"].(map[string]any)
					got = append(got, fmt.Sprint(ev["event_type"], " ", data["entity_id"], " ", ns["state"], " ", ns["attributes"].(map[string]any)["brightness"]))
				}
			}
			want := []string{"call_service", "state_changed light.hall on 204", "state_changed light.kitchen on 204"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events of the call (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCallServiceErrors sends bad calls: each gets HA's error, and none fires an event or
// changes a state, except where HA checks inside the integration (after call_service fired).
func TestCallServiceErrors(t *testing.T) {
	s, ts := startSim(t, Config{})
	before := s.States()
	watcher := login(t, ts, adminToken)
	watcher.subscribe(1, "")
	c := login(t, ts, adminToken)
	type errObj = map[string]any
	for i, tc := range []struct {
		name   string
		msg    map[string]any
		want   errObj
		events bool // the call_service event fires before the integration refuses
	}{
		{"unknown service", map[string]any{"domain": "light", "service": "blink"},
			errObj{"code": "not_found", "message": "Service light.blink not found.", "translation_key": "service_not_found",
				"translation_placeholders": map[string]any{"domain": "light", "service": "blink"}, "translation_domain": "homeassistant"}, false},
		{"unknown domain in capitals", map[string]any{"domain": "Lamp", "service": "on"},
			errObj{"code": "home_assistant_error", "message": "Service lamp.on called service Lamp.on which was not found.",
				"translation_key": "child_service_not_found", "translation_domain": "websocket_api", "translation_placeholders": map[string]any{
					"domain": "Lamp", "service": "on", "child_domain": "lamp", "child_service": "on"}}, false},
		{"template target", map[string]any{"domain": "light", "service": "turn_on", "target": map[string]any{"entity_id": "{{ states.light | list }}"}},
			errObj{"code": "invalid_format", "message": "Templates are not supported here. Got {'domain': 'light', 'id': 7, " +
				"'return_response': False, 'service': 'turn_on', 'target': {'entity_id': '{{ states.light | list }}'}, 'type': 'call_service'}"}, false},
		{"target not an entity id", map[string]any{"domain": "light", "service": "turn_on", "target": map[string]any{"entity_id": "kitchen"}},
			errObj{"code": "invalid_format", "message": "Entity ID kitchen is an invalid entity ID @ data['target']['entity_id'][0]. Got 'k'"}, false},
		{"extra target key", map[string]any{"domain": "light", "service": "turn_on", "target": map[string]any{"room": "kitchen"}},
			errObj{"code": "invalid_format", "message": "extra keys not allowed @ data['target']['room']. Got 'kitchen'"}, false},
		{"return_response not a bool", map[string]any{"domain": "light", "service": "turn_on", "return_response": "yes"},
			errObj{"code": "invalid_format", "message": "expected bool for dictionary value @ data['return_response']. Got 'yes'"}, false},
		{"extra data key", map[string]any{"domain": "light", "service": "turn_on", "service_data": map[string]any{"colour": "red"}},
			errObj{"code": "invalid_format", "message": "extra keys not allowed @ data['colour']"}, false},
		{"out of range", map[string]any{"domain": "light", "service": "turn_on", "service_data": map[string]any{"brightness_pct": 150}},
			errObj{"code": "invalid_format", "message": "value must be at most 100 for dictionary value @ data['brightness_pct']"}, false},
		{"not a number", map[string]any{"domain": "light", "service": "turn_on", "service_data": map[string]any{"brightness": "bright"}},
			errObj{"code": "invalid_format", "message": "expected int for dictionary value @ data['brightness']"}, false},
		{"exclusive keys", map[string]any{"domain": "light", "service": "turn_on", "service_data": map[string]any{"brightness": 3, "brightness_pct": 3}},
			errObj{"code": "invalid_format", "message": "two or more values in the same group of exclusion 'brightness' @ data[<brightness>]"}, false},
		{"missing required", map[string]any{"domain": "cover", "service": "set_cover_position", "target": map[string]any{"entity_id": "cover.garage_door"}},
			errObj{"code": "invalid_format", "message": "required key not provided @ data['position']"}, false},
		{"response not supported", map[string]any{"domain": "switch", "service": "turn_on", "return_response": true},
			errObj{"code": "service_validation_error", "message": "Validation error: An action which does not return responses can't be called with return_response=True",
				"translation_key": "service_does_not_support_response", "translation_domain": "homeassistant",
				"translation_placeholders": map[string]any{"return_response": "return_response=True"}}, false},
		{"temperature out of range", map[string]any{"domain": "climate", "service": "set_temperature",
			"target": map[string]any{"entity_id": "climate.living_room"}, "service_data": map[string]any{"temperature": 40}},
			errObj{"code": "service_validation_error", "message": "Validation error: Provided temperature 40.0 is not valid. Accepted range is 7 to 35.",
				"translation_key": "temp_out_of_range", "translation_domain": "climate",
				"translation_placeholders": map[string]any{"check_temp": "40.0", "min_temp": "7", "max_temp": "35"}}, true},
		{"hvac mode not offered", map[string]any{"domain": "climate", "service": "set_hvac_mode",
			"target": map[string]any{"entity_id": "climate.bedroom"}, "service_data": map[string]any{"hvac_mode": "cool"}},
			errObj{"code": "service_validation_error", "message": "Validation error: HVAC mode cool is not valid. Valid HVAC modes are: off, heat, auto.",
				"translation_key": "not_valid_hvac_mode", "translation_domain": "climate",
				"translation_placeholders": map[string]any{"mode": "cool", "modes": "off, heat, auto"}}, true},
		{"hvac mode unknown", map[string]any{"domain": "climate", "service": "set_hvac_mode", "service_data": map[string]any{"hvac_mode": "warm"}},
			errObj{"code": "invalid_format", "message": "expected HVACMode for dictionary value @ data['hvac_mode']"}, false},
	} {
		id := 2*i + 3
		msg := maps.Clone(tc.msg)
		msg["id"], msg["type"] = id, "call_service"
		c.sendJSON(msg)
		_, res := c.untilResult(id)
		want := map[string]any{"id": float64(id), "type": "result", "success": false, "error": tc.want}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("%s: reply (-want +got):\n%s", tc.name, diff)
		}
		c.sendJSON(map[string]any{"id": id + 1, "type": "fire_event", "event_type": "marker"})
		c.untilResult(id + 1)
		evs, _ := watcher.untilEvent("marker")
		if got := len(evs) > 0; got != tc.events {
			t.Errorf("%s: events before the marker %v, want some: %v", tc.name, evs, tc.events)
		}
		for _, ev := range evs {
			if ty := ev["event"].(map[string]any)["event_type"]; ty != "call_service" {
				t.Errorf("%s: fired %v, want only call_service", tc.name, ty)
			}
		}
	}
	if diff := cmp.Diff(before, s.States()); diff != "" {
		t.Errorf("failed calls changed states (-before +after):\n%s", diff)
	}
}

// TestServiceTargets resolves device, area, floor and label targets through the registries, and
// runs homeassistant.turn_off as one call per domain.
func TestServiceTargets(t *testing.T) {
	s, ts := startSim(t, Config{})
	reg := s.Registries()
	deviceOf := func(entity string) string {
		for _, e := range reg.Entities {
			if e.EntityID == entity {
				return e.DeviceID
			}
		}
		t.Fatalf("%s has no registry entry", entity)
		return ""
	}
	s.SetEntityArea("switch.coffee_machine", "garage") // its device stays in the kitchen
	s.SetEntityLabels("switch.garden_pump", nil)       // still in the garden, which is labelled outdoor
	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	for i, tc := range []struct {
		name    string
		domain  string
		service string
		target  map[string]any
		want    []string // call_service services then state_changed entities, in order
	}{
		{"device", "light", "turn_off", map[string]any{"device_id": deviceOf("light.office_desk")},
			[]string{"light.turn_off", "light.office_desk"}},
		{"area: its devices' entities", "light", "turn_on", map[string]any{"area_id": "kitchen"},
			[]string{"light.turn_on", "light.kitchen", "light.kitchen_island"}},
		{"area: not an entity moved out", "switch", "turn_on", map[string]any{"area_id": "kitchen"},
			[]string{"switch.turn_on"}},
		{"area: an entity moved in", "switch", "turn_on", map[string]any{"area_id": "garage"},
			[]string{"switch.turn_on", "switch.coffee_machine"}},
		{"label", "lock", "unlock", map[string]any{"label_id": "security"},
			[]string{"lock.unlock", "lock.front_door"}},
		{"label: a labelled area's entities", "switch", "turn_on", map[string]any{"label_id": "outdoor"},
			[]string{"switch.turn_on", "switch.garden_pump"}},
		{"floor", "cover", "close_cover", map[string]any{"floor_id": "first_floor"},
			[]string{"cover.close_cover", "cover.bedroom_blinds", "cover.bedroom_blinds", "cover.bedroom_blinds"}},
		{"generic turn off of an area", "homeassistant", "turn_off", map[string]any{"area_id": "living_room"},
			[]string{"homeassistant.turn_off", "light.turn_off", "light.living_room", "media_player.turn_off",
				"switch.turn_off", "switch.tv_power"}},
	} {
		id := i + 2
		c.sendJSON(map[string]any{"id": id, "type": "call_service", "domain": tc.domain, "service": tc.service, "target": tc.target})
		before, res := c.untilResult(id)
		if res["success"] != true {
			t.Fatalf("%s: %v", tc.name, res)
		}
		var got []string
		for _, m := range before {
			ev := m["event"].(map[string]any)
			data := ev["data"].(map[string]any)
			if ev["event_type"] == "call_service" {
				got = append(got, fmt.Sprint(data["domain"], ".", data["service"]))
			} else {
				got = append(got, fmt.Sprint(data["entity_id"]))
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestScriptServiceResponse calls script.<name> asking for its response, and automation.trigger.
func TestScriptServiceResponse(t *testing.T) {
	_, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	c.sendJSON(map[string]any{"id": 2, "type": "call_service", "domain": "script", "service": "morning_coffee", "return_response": true})
	before, res := c.untilResult(2)
	result := res["result"].(map[string]any)
	if diff := cmp.Diff(map[string]any{}, result["response"]); diff != "" || len(before) < 4 {
		t.Errorf("script.morning_coffee with return_response: response %v (-want +got):\n%s; %d events", result, diff, len(before))
	}
	if ty := before[1]["event"].(map[string]any)["event_type"]; ty != "script_started" {
		t.Errorf("second event %v, want script_started", ty)
	}

	c.sendJSON(map[string]any{"id": 3, "type": "call_service", "domain": "automation", "service": "trigger",
		"target": map[string]any{"entity_id": "automation.welcome_home"}})
	before, res = c.untilResult(3)
	callCtx := res["result"].(map[string]any)["context"].(map[string]any)
	ev := before[1]["event"].(map[string]any)
	want := map[string]any{"name": "Welcome home", "entity_id": "automation.welcome_home"}
	if diff := cmp.Diff(want, ev["data"]); ev["event_type"] != "automation_triggered" || diff != "" {
		t.Errorf("after automation.trigger: %v (-want +got data):\n%s", ev["event_type"], diff)
	}
	if ctx := ev["context"].(map[string]any); ctx["parent_id"] != callCtx["id"] || ctx["user_id"] != nil {
		t.Errorf("automation context %v, want parent %v and no user", ctx, callCtx["id"])
	}
}
