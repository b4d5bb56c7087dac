package simulator

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGetServices checks get_services' shape (HA-PROTOCOL.md §10).
func TestGetServices(t *testing.T) {
	_, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.send(`{"id":1,"type":"get_services"}`)
	var reply struct {
		Result map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(c.nextRaw(), &reply); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"light.turn_on", "light.turn_off", "light.toggle", "switch.toggle", "cover.set_cover_position",
		"lock.lock", "lock.unlock", "climate.set_temperature", "climate.set_hvac_mode", "media_player.media_play",
		"media_player.media_pause", "media_player.volume_set", "script.turn_on", "script.good_night", "automation.trigger",
		"homeassistant.turn_on", "homeassistant.turn_off", "homeassistant.toggle"} {
		domain, service, _ := strings.Cut(want, ".")
		if reply.Result[domain][service] == nil {
			t.Errorf("get_services lacks %s", want)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(reply.Result["light"]["turn_on"], &got); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"description", "fields", "name", "target"}) {
		t.Errorf("light.turn_on keys %v", keys)
	}
	wantPct := map[string]any{"name": "Brightness", "selector": map[string]any{"number": map[string]any{"min": 0.0, "max": 100.0, "unit_of_measurement": "%"}},
		"description": "Number indicating the percentage of full brightness, where 0 turns the light off, 1 is the minimum brightness, and 100 is the maximum brightness."}
	if diff := cmp.Diff(wantPct, got["fields"].(map[string]any)["brightness_pct"]); diff != "" {
		t.Errorf("light.turn_on brightness_pct (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"entity": []any{map[string]any{"domain": []any{"light"}}}}, got["target"]); diff != "" {
		t.Errorf("light.turn_on target (-want +got):\n%s", diff)
	}
	var script map[string]any
	if err := json.Unmarshal(reply.Result["script"]["good_night"], &script); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "Good night", "description": "", "fields": map[string]any{}, "response": map[string]any{"optional": true}}
	if diff := cmp.Diff(want, script); diff != "" {
		t.Errorf("script.good_night (-want +got):\n%s", diff)
	}
}
