//go:build realha

package realha

import (
	"context"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/hatest"
)

// moveEntity places entity in area through Home Assistant's entity registry, as its settings
// page does.
func moveEntity(t *testing.T, h *hatest.Home, entity, area string) {
	t.Helper()
	if err := h.Command(context.Background(), h.Owner.Token, map[string]any{
		"type": "config/entity_registry/update", "entity_id": entity, "area_id": area}, nil); err != nil {
		t.Fatal(err)
	}
}

func toggle(t *testing.T, h *hatest.Home, entity string) {
	t.Helper()
	if err := h.CallService(t.Context(), "homeassistant", "toggle", map[string]any{"entity_id": entity}); err != nil {
		t.Fatal(err)
	}
}

// stateOf matches a state_changed event of entity (envelope).
func stateOf(entity string) func(sse.Event) bool {
	return func(ev sse.Event) bool {
		d := data(ev)
		return d["type"] == "state_changed" && d["entity_id"] == entity
	}
}

// area= follows Home Assistant's registries: at start, and after an entity moves between areas
// while the stream is open.
func TestAreaFollowsTheRegistries(t *testing.T) {
	s := serve(t, home)
	s.waitConnected(t, 30*time.Second)
	kitchen := open(t, s, "kitchen", "area=kitchen&events=state_changed", home.Owner.Token)
	kitchen.await(t, 10*time.Second, "connection event", ofType("connection"))

	// The living room's light is not the kitchen's; the kitchen's is, and comes after it.
	toggle(t, home, "light.living_room")
	toggle(t, home, "light.kitchen")
	kitchen.await(t, 15*time.Second, "light.kitchen", stateOf("light.kitchen"))
	for _, ev := range kitchen.seen {
		if typ(ev) == "state_changed" && data(ev)["entity_id"] != "light.kitchen" {
			t.Errorf("area=kitchen got %v", data(ev)["entity_id"])
		}
	}

	// Swap the lights' areas while streaming.
	t.Cleanup(func() {
		moveEntity(t, home, "light.kitchen", "kitchen")
		moveEntity(t, home, "light.living_room", "living_room")
		ctx := context.Background()
		for _, l := range []string{"light.kitchen", "light.living_room"} {
			_ = home.CallService(ctx, "light", "turn_off", map[string]any{"entity_id": l})
		}
	})
	moveEntity(t, home, "light.kitchen", "hall")
	moveEntity(t, home, "light.living_room", "kitchen")
	kitchen.seen = nil
	moved := false
	for range 30 { // until hasse has read the registries again
		toggle(t, home, "light.living_room")
		if _, ok := kitchen.next(time.Second, stateOf("light.living_room")); ok {
			moved = true
			break
		}
	}
	if !moved {
		t.Fatal("light.living_room, moved into the kitchen, never reached area=kitchen")
	}
	// hasse has the registry as it is after both moves: the kitchen's light has left.
	kitchen.seen = nil
	toggle(t, home, "light.kitchen")
	toggle(t, home, "light.living_room")
	kitchen.await(t, 15*time.Second, "light.living_room", stateOf("light.living_room"))
	for _, ev := range kitchen.seen {
		if data(ev)["entity_id"] == "light.kitchen" {
			t.Error("light.kitchen, moved to the hall, still reaches area=kitchen")
		}
	}
	snap := snapshot(t, s, "area=kitchen", home.Owner.Token)
	if _, ok := snap["light.living_room"]; !ok {
		t.Error("a new area=kitchen snapshot lacks light.living_room")
	}
	if _, ok := snap["light.kitchen"]; ok {
		t.Error("a new area=kitchen snapshot has light.kitchen")
	}
}
