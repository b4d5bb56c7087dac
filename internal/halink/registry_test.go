package halink

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/simulator"
)

// TestEventsCarryAreaAndLabels moves an entity between areas and labels in the simulator's
// registries: events carry where the entity is, and follow the registry's update events.
func TestEventsCarryAreaAndLabels(t *testing.T) {
	ha := startHA(t)
	c, events := startClient(t, ha, Config{}, nil)
	waitStatus(t, c, "a connection", connected)
	if p := c.RegistryProblem(); p != "" {
		t.Fatalf("RegistryProblem() = %q, want none: the simulator has registries", p)
	}

	ha.sim.SetEntityArea("light.kitchen", "garden")
	ha.sim.SetEntityLabels("light.kitchen", []string{"security", "outdoor"})
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ { // the registry reloads after its update events: wait until events show it
		ha.sim.SetState("light.kitchen", fmt.Sprint("on", i), nil)
		ev := waitEvent(t, events, "of light.kitchen", entity("light.kitchen"))
		if ev.Area == "garden" && ev.AreaName == "Garden" && slices.Equal(ev.Labels, []string{"outdoor", "security"}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("light.kitchen's events still say area %q (%q), labels %v", ev.Area, ev.AreaName, ev.Labels)
		}
	}
}

// TestRegistryReloadsAreDebounced fires bursts of registry updates: hasse lists the registries
// again once they have been quiet for registryQuiet, as Home Assistant's frontend does, not once
// per update; and while updates never stop, at least every registryMaxWait.
func TestRegistryReloadsAreDebounced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, c, _ := startBubbleHA(t, simulator.Config{})
		waitStatus(t, c, "a connection", connected)
		const list = "config/entity_registry/list"
		lists := func() int {
			synctest.Wait() // whatever the updates set off has run
			return sim.Listed(list)
		}
		if n := lists(); n != 1 {
			t.Fatalf("after connecting: %s answered %d times, want 1", list, n)
		}
		update := func() {
			sim.FireEvent("entity_registry_updated", map[string]any{"action": "update", "entity_id": "light.kitchen",
				"changes": map[string]any{"name": nil}})
		}

		// A burst of 100 updates, 10 ms apart: one reload, registryQuiet after the last.
		for i := range 100 {
			if i > 0 {
				time.Sleep(10 * time.Millisecond)
			}
			update()
		}
		time.Sleep(registryQuiet - time.Nanosecond)
		if n := lists(); n != 1 {
			t.Fatalf("during a burst of 100 updates: %s answered %d more times, want none yet", list, n-1)
		}
		time.Sleep(time.Nanosecond)
		if n := lists(); n != 2 {
			t.Fatalf("%v after a burst of 100 updates: %s answered %d more times, want 1", registryQuiet, list, n-1)
		}

		// Updates that never pause for registryQuiet: read registryMaxWait after the first
		// update not yet read, all the same (at 5 s and 10.2 s here).
		start := time.Now()
		for time.Since(start) < 2*registryMaxWait+2*registryQuiet {
			update()
			time.Sleep(registryQuiet * 4 / 5)
		}
		if n := lists(); n != 4 {
			t.Fatalf("after %v of updates %v apart: %s answered %d more times, want 2 (every %v)",
				time.Since(start), registryQuiet*4/5, list, n-2, registryMaxWait)
		}
	})
}

// TestRegistryShapes runs the client against the registries and states of a core before 2024.4
// (no labels, floors or last_reported) and of a newer one: both give events their areas, and
// labels where the core has them.
func TestRegistryShapes(t *testing.T) {
	for _, tc := range []struct {
		version string
		labels  []string
	}{
		{"2024.3.3", nil},
		{simulator.DefaultVersion, []string{"outdoor", "security"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim, c, events := startBubbleHA(t, simulator.Config{Version: tc.version})
				waitStatus(t, c, "a connection", connected)
				if p := c.RegistryProblem(); p != "" {
					t.Fatalf("RegistryProblem() = %q, want none", p)
				}
				sim.SetState("camera.driveway", "streaming", nil)
				ev := waitEvent(t, events, "of camera.driveway", entity("camera.driveway"))
				if ev.Area != "garden" || ev.AreaName != "Garden" || !slices.Equal(ev.Labels, tc.labels) {
					t.Errorf("camera.driveway's event: area %q (%q), labels %v; want garden (Garden), %v",
						ev.Area, ev.AreaName, ev.Labels, tc.labels)
				}
			})
		})
	}
}

// TestChildDeviceArea runs the client against a core with child devices (2026.9+): the garage
// door's energy meter is a child device without an area of its own, so its entity is in its
// parent device's area, the garage.
func TestChildDeviceArea(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim, c, events := startBubbleHA(t, simulator.Config{Version: "2026.9.0"})
		waitStatus(t, c, "a connection", connected)
		sim.SetState("sensor.garage_door_energy", "12.9", nil)
		ev := waitEvent(t, events, "of sensor.garage_door_energy", entity("sensor.garage_door_energy"))
		if ev.Area != "garage" || ev.AreaName != "Garage" {
			t.Errorf("the child device's entity: area %q (%q), want its parent's, garage (Garage)", ev.Area, ev.AreaName)
		}
	})
}

// TestRegistriesRefused walks the registries through loads and refusals: a refusal is news (and
// logged) only after a load that was not refused, and RegistryProblem says which state holds.
func TestRegistriesRefused(t *testing.T) {
	var r registries
	for i, step := range []struct {
		do      func() bool // nil: only check problem
		news    bool
		problem string
	}{
		{nil, false, "Home Assistant's registries are not loaded yet"},
		{func() bool { return r.refuse(" Unauthorized ") }, true, "Home Assistant refused its registries: Unauthorized"},
		{func() bool { return r.refuse("Unknown command.") }, false, "Home Assistant refused its registries: Unknown command."},
		{func() bool { r.use(newRegistry(nil, nil, nil)); return false }, false, ""},
		{func() bool { return r.refuse("") }, true, "Home Assistant refused its registries: "},
	} {
		if step.do != nil {
			if news := step.do(); news != step.news {
				t.Errorf("step %d: news %v, want %v", i, news, step.news)
			}
		}
		if got := r.problem(); got != step.problem {
			t.Errorf("step %d: problem() = %q, want %q", i, got, step.problem)
		}
		if (r.current() != nil) != (step.problem == "") {
			t.Errorf("step %d: current() = %v with problem %q", i, r.current(), step.problem)
		}
	}
}
