package hub

import (
	"fmt"
	"slices"
	"testing"

	"hasse/internal/hass"
)

// TestIndexFindsExactlyTheMatches files clients with every kind of filter and checks, for events
// with and without entities, that a lookup returns exactly the clients whose filter matches,
// each once, also after some clients leave.
func TestIndexFindsExactlyTheMatches(t *testing.T) {
	queries := []string{
		"", "domain=light", "domain=light,switch", "entity_id=light.kitchen", "entity_id=light.kitchen,sensor.hall_temp",
		"domain=light&entity_id=sensor.hall_temp", "entity_id=sensor.*", "domain=sens*", "events=call_service",
		"events=state_changed&domain=light", "events=automation_*", "types=service_called&domain=light",
		"device_class=motion", "changes=state&domain=binary_sensor", "event_types=homeassistant_start",
		"entity_id=light.kitchen&events=call_service",
	}
	x := newIndex()
	var clients []*Client
	for i, q := range queries {
		c := &Client{ID: fmt.Sprint(i), Filter: mustFilter(t, q)}
		clients = append(clients, c)
		x.add(c)
	}
	callService := &hass.Event{
		Type: hass.TypeCallService, Domain: "light", Entities: []string{"light.kitchen", "sensor.hall_temp"},
		Data: []byte(`{"domain":"light","service":"turn_on"}`),
	}
	events := map[string]*hass.Event{
		"light on":         stateEvent("light.kitchen", "on"),
		"sensor":           stateEvent("sensor.hall_temp", "21"),
		"call_service":     callService,
		"automation":       {Type: hass.TypeAutomationTriggered, EntityID: "automation.a", Domain: "automation", Entities: []string{"automation.a"}},
		"no entity":        {Type: "homeassistant_start"},
		"motion attr only": {Type: hass.TypeStateChanged, EntityID: "binary_sensor.hall", Domain: "binary_sensor", Entities: []string{"binary_sensor.hall"}, DeviceClass: "motion"},
	}
	check := func(when string, clients []*Client) {
		for name, ev := range events {
			var want []string
			for _, c := range clients {
				if c.Filter.Match(ev) {
					want = append(want, c.ID)
				}
			}
			var got []string
			for _, c := range x.appendMatches(nil, ev) {
				got = append(got, c.ID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s, event %q: index found clients %v, want %v", when, name, got, want)
			}
		}
	}
	check("all filed", clients)
	for _, i := range []int{0, 3, 6, 8, 15} {
		x.remove(clients[i])
	}
	rest := slices.DeleteFunc(slices.Clone(clients), func(c *Client) bool { return slices.Contains([]string{"0", "3", "6", "8", "15"}, c.ID) })
	check("after removals", rest)
	for _, c := range rest {
		x.remove(c)
	}
	if len(x.byEntity)+len(x.byDomain)+len(x.byType)+len(x.scan) != 0 {
		t.Errorf("index not empty after every client left: %d entity, %d domain, %d type keys, %d scanned",
			len(x.byEntity), len(x.byDomain), len(x.byType), len(x.scan))
	}
}
