package halink

import (
	"slices"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass"
	"hasse/internal/simulator"
)

// targetHome is a small home's registries: a kitchen and a hall on the ground floor, a garden.
func targetHome() *registry {
	return newRegistry(
		[]areaEntry{
			{AreaID: "kitchen", Name: "Kitchen", FloorID: "ground"},
			{AreaID: "hall", Name: "Hall", FloorID: "ground"},
			{AreaID: "garden", Name: "Garden", Labels: []string{"outdoor"}},
		},
		[]deviceEntry{
			{ID: "d-kitchen-lamp", AreaID: "kitchen"},
			{ID: "d-plug", AreaID: "kitchen", Labels: []string{"power"}},
			{ID: "d-meter", ParentID: "d-plug"}, // a child device: in the kitchen
			{ID: "d-speaker", AreaID: "hall"},
		},
		[]entityEntry{
			{EntityID: "light.kitchen", DeviceID: "d-kitchen-lamp", Platform: "hue"},
			{EntityID: "sensor.kitchen_lamp_signal", DeviceID: "d-kitchen-lamp", Platform: "hue", EntityCategory: "diagnostic"},
			{EntityID: "switch.plug", DeviceID: "d-plug", Platform: "shelly"},
			{EntityID: "light.plug_led", DeviceID: "d-plug", Platform: "shelly", AreaID: "hall", Labels: []string{"evening"}},
			{EntityID: "sensor.meter_energy", DeviceID: "d-meter", Platform: "shelly"},
			{EntityID: "media_player.speaker", DeviceID: "d-speaker", Platform: "sonos"},
			{EntityID: "switch.speaker_loudness", DeviceID: "d-speaker", Platform: "sonos", HiddenBy: "user"},
			{EntityID: "light.garden", AreaID: "garden", Platform: "template", Labels: []string{"evening"}},
			{EntityID: "light.porch", Platform: "template", Labels: []string{"outdoor"}, DisabledBy: "user"},
		},
	)
}

func TestResolveCall(t *testing.T) {
	kitchen, hall, garden := hass.AreaRef{ID: "kitchen", Name: "Kitchen"}, hass.AreaRef{ID: "hall", Name: "Hall"}, hass.AreaRef{ID: "garden", Name: "Garden"}
	// The states seen: every registered entity but the disabled one, and a light that is not
	// registered.
	seenStates := func() *seen {
		sn := &seen{}
		for id := range targetHome().entities {
			if id != "light.porch" {
				sn.add(id, nil)
			}
		}
		sn.add("light.yaml_only", nil)
		return sn
	}
	for _, tc := range []struct {
		name     string
		data     string
		noReg    bool
		entities []string
		areas    []hass.AreaRef
		labels   []string
	}{
		{"entities only: their areas and labels",
			`{"domain":"light","service":"turn_on","service_data":{"entity_id":["light.kitchen","light.plug_led"]}}`, false,
			[]string{"light.kitchen", "light.plug_led"}, []hass.AreaRef{hall, kitchen}, []string{"evening"}},
		{"area: its lights, those of its devices without an area of their own",
			`{"domain":"light","service":"turn_on","service_data":{"area_id":"kitchen"}}`, false,
			[]string{"light.kitchen"}, []hass.AreaRef{kitchen}, nil},
		{"area in target, for homeassistant: every visible entity, the child device's too",
			`{"domain":"homeassistant","service":"turn_off","service_data":{"target":{"area_id":["kitchen"]}}}`, false,
			[]string{"light.kitchen", "sensor.meter_energy", "switch.plug"}, []hass.AreaRef{kitchen}, nil},
		{"device named: all its visible entities, one with an area of its own too",
			`{"domain":"homeassistant","service":"toggle","service_data":{"device_id":"d-plug"}}`, false,
			[]string{"light.plug_led", "switch.plug"}, []hass.AreaRef{hall, kitchen}, []string{"evening"}},
		{"a service of an integration: its own entities",
			`{"domain":"shelly","service":"reboot","service_data":{"device_id":["d-plug","d-meter"]}}`, false,
			[]string{"light.plug_led", "sensor.meter_energy", "switch.plug"}, []hass.AreaRef{hall, kitchen}, []string{"evening"}},
		{"label on a device: its entities without an area of their own",
			`{"domain":"switch","service":"turn_off","service_data":{"label_id":"power"}}`, false,
			[]string{"switch.plug"}, []hass.AreaRef{kitchen}, []string{"power"}},
		{"label on an area and entities; a disabled entity is not reached",
			`{"domain":"light","service":"turn_on","service_data":{"label_id":["outdoor","evening"]}}`, false,
			[]string{"light.garden", "light.plug_led"}, []hass.AreaRef{garden, hall}, []string{"evening", "outdoor"}},
		{"floor: its areas",
			`{"domain":"media_player","service":"media_pause","service_data":{"floor_id":"ground"}}`, false,
			[]string{"media_player.speaker"}, []hass.AreaRef{hall, kitchen}, nil},
		{"area, a domain with nothing there: the area only",
			`{"domain":"media_player","service":"media_pause","service_data":{"area_id":"kitchen"}}`, false,
			nil, []hass.AreaRef{kitchen}, nil},
		{"entity_id all: every light seen or registered",
			`{"domain":"light","service":"turn_off","service_data":{"entity_id":"all"}}`, false,
			[]string{"light.garden", "light.kitchen", "light.plug_led", "light.yaml_only"}, []hass.AreaRef{garden, hall, kitchen}, []string{"evening"}},
		{"entity_id all of an integration: its entities",
			`{"domain":"sonos","service":"snapshot","service_data":{"entity_id":"ALL"}}`, false,
			[]string{"media_player.speaker", "switch.speaker_loudness"}, []hass.AreaRef{hall}, nil},
		{"named entities first, none skipped, a comma list read",
			`{"domain":"light","service":"turn_on","service_data":{"entity_id":"Light.Porch, light.garden","area_id":["none","kitchen"]}}`, false,
			[]string{"light.porch", "light.garden", "light.kitchen"}, []hass.AreaRef{garden, kitchen}, []string{"evening", "outdoor"}},
		{"no registries: entity_id all from the states seen",
			`{"domain":"light","service":"turn_off","service_data":{"entity_id":"all","area_id":"kitchen"}}`, true,
			[]string{"light.garden", "light.kitchen", "light.plug_led", "light.yaml_only"}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := hass.Normalize([]byte(`{"event_type":"call_service","data":`+tc.data+`}`), received, nil)
			if err != nil {
				t.Fatal(err)
			}
			reg := targetHome()
			if tc.noReg {
				reg = nil
			}
			reg.annotate(ev)
			resolveCall(ev, reg, seenStates())
			if diff := cmp.Diff(tc.entities, ev.Entities); diff != "" {
				t.Errorf("entities (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.areas, ev.Areas); diff != "" {
				t.Errorf("areas (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.labels, ev.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllFollowsStates calls light.turn_off with entity_id all against the simulator while a
// light comes and goes: the call reaches the lights that exist when it is made.
func TestAllFollowsStates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, c, events := startBubbleHA(t, simulator.Config{})
		waitStatus(t, c, "a connection", connected)
		turnOffAll := func() *hass.Event {
			t.Helper()
			if err := sim.CallService("light", "turn_off", map[string]any{"entity_id": "all"}); err != nil {
				t.Fatal(err)
			}
			return waitEvent(t, events, "light.turn_off", func(ev *hass.Event) bool { return ev.Type == hass.TypeCallService })
		}
		if ev := turnOffAll(); !slices.Contains(ev.Entities, "light.kitchen") || slices.Contains(ev.Entities, "light.shed") ||
			slices.ContainsFunc(ev.Entities, func(id string) bool { return hass.DomainOf(id) != "light" }) {
			t.Errorf("light.turn_off all reaches %v, want every light of the home, only lights", ev.Entities)
		}
		sim.SetState("light.shed", "on", nil)
		if ev := turnOffAll(); !slices.Contains(ev.Entities, "light.shed") {
			t.Errorf("after light.shed appeared, light.turn_off all reaches %v, want light.shed too", ev.Entities)
		}
		sim.RemoveState("light.shed")
		if ev := turnOffAll(); slices.Contains(ev.Entities, "light.shed") {
			t.Errorf("after light.shed was removed, light.turn_off all reaches %v, want it gone", ev.Entities)
		}
	})
}
