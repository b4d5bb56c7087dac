//go:build realha

package realha

import (
	"context"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// A service call that names its target by area, by device or as entity_id all reaches the
// streams filtered by the areas and entities it targets (HA-PROTOCOL.md §19): Home Assistant
// resolves such targets through its registries, and so must the filter. (Floors and labels
// cannot be targets before Home Assistant 2024.4.)
func TestServiceTargets(t *testing.T) {
	ctx := t.Context()
	var sun struct {
		DeviceID string `json:"device_id"`
	}
	if err := home.Command(ctx, home.Owner.Token, map[string]any{"type": "config/entity_registry/get", "entity_id": "sensor.sun_next_dawn"}, &sun); err != nil {
		t.Fatal(err)
	}
	s := serve(t, home)
	s.waitConnected(t, 30*time.Second)
	kitchen := open(t, s, "area=kitchen", "area=kitchen&events=call_service", home.Owner.Token)
	light := open(t, s, "entity_id=light.kitchen", "entity_id=light.kitchen&events=call_service", home.Owner.Token)
	garden := open(t, s, "area=garden", "area=garden&events=call_service", home.Owner.Token)
	for _, st := range []*stream{kitchen, light, garden} {
		st.await(t, 10*time.Second, "connection", ofType("connection"))
	}
	t.Cleanup(func() {
		_ = home.CallService(context.Background(), "light", "turn_off", map[string]any{"entity_id": "all"})
	})
	calls := []struct {
		domain, service string
		data            map[string]any
		reach           []*stream
	}{
		{"light", "turn_on", map[string]any{"area_id": "kitchen"}, []*stream{kitchen, light}},
		{"light", "turn_off", map[string]any{"entity_id": "all"}, []*stream{kitchen, light}},
		{"homeassistant", "reload_config_entry", map[string]any{"device_id": sun.DeviceID}, []*stream{garden}},
	}
	for _, c := range calls {
		if err := home.CallService(ctx, c.domain, c.service, c.data); err != nil {
			t.Fatal(err)
		}
		for _, st := range c.reach {
			_, ok := st.next(10*time.Second, func(ev sse.Event) bool {
				inner, _ := data(ev)["data"].(map[string]any)
				return typ(ev) == "service_called" && inner["service"] == c.service
			})
			if !ok {
				t.Errorf("%s.%s %v did not reach %s", c.domain, c.service, c.data, st.name)
			}
		}
	}
}
