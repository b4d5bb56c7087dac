package hass

import (
	"fmt"
	"slices"
	"testing"
	"time"
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
