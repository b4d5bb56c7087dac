package halink

import (
	"testing"
	"testing/synctest"

	"hasse/internal/hass"
	"hasse/internal/simulator"
)

// TestConfigIDs checks automation_id and script_id as Home Assistant means them: an automation's
// configuration id (the id attribute of its state, followed as it changes) and a script's object
// id, never the entity id.
func TestConfigIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, c, events := startBubbleHA(t, simulator.Config{})
		waitStatus(t, c, "a connection", connected)
		ofType := func(typ, id string) func(*hass.Event) bool {
			return func(ev *hass.Event) bool { return ev.Type == typ && ev.EntityID == id }
		}

		sim.SetState("binary_sensor.hall_motion", "on", map[string]any{"device_class": "motion"})
		ev := waitEvent(t, events, "automation_triggered", ofType(hass.TypeAutomationTriggered, "automation.hall_light_on_motion"))
		if ev.ConfigID != "1718011223344" {
			t.Errorf("automation.hall_light_on_motion triggered: ConfigID %q, want its id attribute 1718011223344", ev.ConfigID)
		}

		if err := sim.CallService("script", "turn_on", map[string]any{"entity_id": "script.good_night"}); err != nil {
			t.Fatal(err)
		}
		ev = waitEvent(t, events, "script_started", ofType(hass.TypeScriptStarted, "script.good_night"))
		if ev.ConfigID != "good_night" {
			t.Errorf("script.good_night started: ConfigID %q, want good_night", ev.ConfigID)
		}

		// An automation made while connected, then given an id: each trigger carries the id its
		// state had then.
		for _, id := range []string{"", "1800000000001"} {
			attrs := map[string]any{"friendly_name": "Made later", "mode": "single"}
			if id != "" {
				attrs["id"] = id
			}
			sim.SetState("automation.made_later", "on", attrs)
			sim.FireEvent(hass.TypeAutomationTriggered, map[string]any{"name": "Made later", "entity_id": "automation.made_later"})
			ev = waitEvent(t, events, "automation_triggered", ofType(hass.TypeAutomationTriggered, "automation.made_later"))
			if ev.ConfigID != id {
				t.Errorf("automation.made_later triggered with id attribute %q: ConfigID %q", id, ev.ConfigID)
			}
		}
	})
}
