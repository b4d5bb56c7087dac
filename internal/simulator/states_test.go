package simulator

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetStates(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.send(`{"id":1,"type":"get_states"}`)
	var reply struct {
		ID      int
		Type    string
		Success bool
		Result  []map[string]any
	}
	if err := json.Unmarshal(c.nextRaw(), &reply); err != nil {
		t.Fatal(err)
	}
	if reply.ID != 1 || reply.Type != "result" || !reply.Success {
		t.Fatalf("get_states reply %+v", reply)
	}
	if len(reply.Result) < 40 {
		t.Errorf("get_states has %d entities, want at least 40", len(reply.Result))
	}
	domains := map[string]int{}
	var ids []string
	for _, st := range reply.Result {
		want := []string{"attributes", "context", "entity_id", "last_changed", "last_reported", "last_updated", "state"}
		if diff := cmp.Diff(want, slices.Sorted(maps.Keys(st))); diff != "" {
			t.Errorf("state keys of %v (-want +got):\n%s", st["entity_id"], diff)
		}
		id, _ := st["entity_id"].(string)
		ids = append(ids, id)
		domains[domainOf(id)]++
		if _, ok := st["state"].(string); !ok {
			t.Errorf("%s: state %v is not a string", id, st["state"])
		}
		for _, k := range []string{"last_changed", "last_reported", "last_updated"} {
			if ts, _ := st[k].(string); !timestampRE.MatchString(ts) {
				t.Errorf("%s: %s %q is not Python isoformat", id, k, st[k])
			}
		}
		ctx, _ := st["context"].(map[string]any)
		if id, _ := ctx["id"].(string); !ulidRE.MatchString(id) {
			t.Errorf("%s: context %v has no ULID", st["entity_id"], ctx)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("get_states is not sorted by entity id: %v", ids)
	}
	for _, d := range []string{"light", "switch", "sensor", "binary_sensor", "climate", "cover", "media_player",
		"lock", "camera", "person", "automation", "script", "sun"} {
		if domains[d] == 0 {
			t.Errorf("no %s entity", d)
		}
	}

	// States marshals to the same JSON.
	b, err := json.Marshal(s.States())
	if err != nil {
		t.Fatal(err)
	}
	var fromStates []map[string]any
	if err := json.Unmarshal(b, &fromStates); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(reply.Result, fromStates); diff != "" {
		t.Errorf("States() and get_states differ (-get_states +States):\n%s", diff)
	}
}

func TestStatesAreCopies(t *testing.T) {
	s, _ := startSim(t, Config{})
	first := s.States()
	for _, st := range first {
		st.Attributes["friendly_name"] = "changed"
	}
	for _, st := range s.States() {
		if st.Attributes["friendly_name"] == "changed" {
			t.Fatalf("%s: changing a returned State changed the home", st.EntityID)
		}
	}
}

func TestPersonsAreUsers(t *testing.T) {
	s, _ := startSim(t, Config{})
	var userIDs []string
	for _, st := range s.States() {
		if domainOf(st.EntityID) == "person" {
			id, _ := st.Attributes["user_id"].(string)
			if !userIDRE.MatchString(id) {
				t.Errorf("%s: user_id %q is not 32 hex characters", st.EntityID, id)
			}
			userIDs = append(userIDs, id)
		}
	}
	if len(userIDs) != 2 || userIDs[0] == userIDs[1] {
		t.Errorf("person user ids %v, want two different users", userIDs)
	}
}

func TestCameraToken(t *testing.T) {
	s, _ := startSim(t, Config{Seed: 3})
	check := func() map[string]string {
		tokens := map[string]string{}
		for _, st := range s.States() {
			if domainOf(st.EntityID) != "camera" {
				continue
			}
			token, _ := st.Attributes["access_token"].(string)
			if len(token) != 64 || strings.Trim(token, "0123456789abcdef") != "" {
				t.Errorf("%s: access_token %q, want 64 hex characters", st.EntityID, token)
			}
			want := "/api/camera_proxy/" + st.EntityID + "?token=" + token
			if got := st.Attributes["entity_picture"]; got != want {
				t.Errorf("%s: entity_picture %q, want %q", st.EntityID, got, want)
			}
			tokens[st.EntityID] = token
		}
		return tokens
	}
	before := check()
	if len(before) < 2 {
		t.Fatalf("cameras %v, want two", before)
	}
	for range 300 {
		s.Step()
	}
	after := check()
	for id := range before {
		if before[id] == after[id] {
			t.Errorf("%s kept its token over 300 steps, want it rotated", id)
		}
	}
}

func TestLightAttributes(t *testing.T) {
	living := lightSpec{id: "light.living_room", name: "Living room", modes: []string{"color_temp", "xy"},
		effects: []string{"none", "colorloop"}, features: 44}
	dimmer := lightSpec{id: "light.kitchen", name: "Kitchen", modes: []string{"brightness"}, features: 32}
	for _, tc := range []struct {
		name  string
		light lightSpec
		on    bool
		want  map[string]any
	}{
		{"dimmer off", dimmer, false, map[string]any{"supported_color_modes": []any{"brightness"}, "color_mode": nil,
			"brightness": nil, "friendly_name": "Kitchen", "supported_features": 32}},
		{"dimmer on", dimmer, true, map[string]any{"supported_color_modes": []any{"brightness"}, "color_mode": "brightness",
			"brightness": 204, "friendly_name": "Kitchen", "supported_features": 32}},
		{"colour off", living, false, map[string]any{"supported_color_modes": []any{"color_temp", "xy"},
			"min_color_temp_kelvin": 2202, "max_color_temp_kelvin": 6535, "effect_list": []any{"none", "colorloop"},
			"effect": nil, "color_mode": nil, "brightness": nil, "color_temp_kelvin": nil, "hs_color": nil,
			"rgb_color": nil, "xy_color": nil, "friendly_name": "Living room", "supported_features": 44}},
	} {
		got := tc.light.attrs(tc.on, 204, 2900)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: attrs (-want +got):\n%s", tc.name, diff)
		}
	}
	on := living.attrs(true, 180, 2900)
	for _, k := range []string{"hs_color", "rgb_color", "xy_color", "color_temp_kelvin", "brightness", "effect"} {
		if on[k] == nil {
			t.Errorf("colour light on: %s is null", k)
		}
	}
	if on["color_mode"] != "color_temp" {
		t.Errorf("colour light on: color_mode %v, want color_temp", on["color_mode"])
	}
}

// TestStatesByVersion reads states from get_states and a state_changed event: cores before 2024.4
// write six keys, without last_reported (HA-PROTOCOL.md §19).
func TestStatesByVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string
	}{
		{"2024.3.3", []string{"attributes", "context", "entity_id", "last_changed", "last_updated", "state"}},
		{"2024.4.0", []string{"attributes", "context", "entity_id", "last_changed", "last_reported", "last_updated", "state"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			s, ts := startSim(t, Config{Version: tc.version})
			c := login(t, ts, adminToken)
			c.subscribe(1, "state_changed")
			c.sendJSON(map[string]any{"id": 2, "type": "get_states"})
			var reply struct{ Result []map[string]any }
			decode(t, c.nextRaw(), &reply)
			s.SetState("light.kitchen", "on", map[string]any{"brightness": 12})
			_, ev := c.untilEvent("state_changed")
			data := ev["event"].(map[string]any)["data"].(map[string]any)
			states := append(reply.Result, data["old_state"].(map[string]any), data["new_state"].(map[string]any))
			for _, st := range states {
				if diff := cmp.Diff(tc.want, slices.Sorted(maps.Keys(st))); diff != "" {
					t.Fatalf("state keys of %v (-want +got):\n%s", st["entity_id"], diff)
				}
			}
		})
	}
}
