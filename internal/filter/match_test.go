package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"hasse/internal/hass"
)

// stateEvent is a state_changed event of entity; changed is false when only attributes changed.
func stateEvent(entity, deviceClass string, changed bool) *hass.Event {
	return &hass.Event{
		Type:         hass.TypeStateChanged,
		EntityID:     entity,
		Domain:       entity[:strings.IndexByte(entity, '.')],
		Entities:     []string{entity},
		StateChanged: changed,
		DeviceClass:  deviceClass,
	}
}

// serviceEvent is a call_service event of domain naming entities, as ingest leaves it: every
// entity of service_data.entity_id and service_data.target.entity_id is in Entities.
func serviceEvent(domain string, entities ...string) *hass.Event {
	ev := &hass.Event{Type: hass.TypeCallService, Domain: domain, Entities: entities}
	if len(entities) == 1 {
		ev.EntityID = entities[0]
	}
	return ev
}

func withData(ev *hass.Event, data string) *hass.Event {
	ev.Data = json.RawMessage(data)
	return ev
}

func TestMatch(t *testing.T) {
	var (
		light      = stateEvent("light.kitchen", "", true)
		lightAttrs = stateEvent("light.kitchen", "", false) // brightness only
		hallLight  = stateEvent("light.hall", "", true)
		coffee     = stateEvent("switch.coffee_maker", "", true)
		temp       = stateEvent("sensor.kitchen_temperature", "temperature", true)
		tempAttrs  = stateEvent("sensor.kitchen_temperature", "temperature", false)
		motion     = stateEvent("binary_sensor.hall_motion", "motion", true)
		door       = stateEvent("binary_sensor.front_door", "door", true)
		serviceAB  = withData(serviceEvent("light", "light.a", "light.b"), // service_data.entity_id list
			`{"domain":"light","service":"turn_on","service_data":{"entity_id":["light.a","light.b"]}}`)
		serviceTarget = withData(serviceEvent("homeassistant", "light.a", "switch.b"), // service_data.target.entity_id
			`{"domain":"homeassistant","service":"turn_off","service_data":{"target":{"entity_id":["light.a","switch.b"]}}}`)
		restart   = withData(serviceEvent("homeassistant"), `{"domain":"homeassistant","service":"restart","service_data":{}}`)
		start     = &hass.Event{Type: "homeassistant_start"}
		automated = &hass.Event{Type: hass.TypeAutomationTriggered, EntityID: "automation.lights_on", Domain: "automation", Entities: []string{"automation.lights_on"}}
		script    = &hass.Event{Type: hass.TypeScriptStarted, EntityID: "script.wake_up", Domain: "script", Entities: []string{"script.wake_up"}}
		custom    = &hass.Event{Type: "server:cpu"}
		all       = []*hass.Event{light, lightAttrs, hallLight, coffee, temp, tempAttrs, motion, door, serviceAB, serviceTarget, restart, start, automated, script, custom}
	)
	for _, tc := range []struct {
		name, query string
		pass        []*hass.Event // every other event of all fails
	}{
		{"no filter", "", all},
		{"unknown parameters only", "token=x&format=named", all},

		{"one type", "events=state_changed", []*hass.Event{light, lightAttrs, hallLight, coffee, temp, tempAttrs, motion, door}},
		{"type=state", "type=state", []*hass.Event{light, lightAttrs, hallLight, coffee, temp, tempAttrs, motion, door}},
		{"types list", "event_types=automation_triggered,script_started", []*hass.Event{automated, script}},
		{"unknown type", "types=server:cpu", []*hass.Event{custom}},
		{"canonical call_service", "events=call_service", []*hass.Event{serviceAB, serviceTarget, restart}},
		{"alias service_called", "events=service_called", []*hass.Event{serviceAB, serviceTarget, restart}},
		{"alias script_executed", "events=script_executed", []*hass.Event{script}},
		{"type glob on alias", "types=service_*", []*hass.Event{serviceAB, serviceTarget, restart}},
		{"type glob on HA name", "types=call_*", []*hass.Event{serviceAB, serviceTarget, restart}},
		{"type glob on alias script", "types=script_exec*", []*hass.Event{script}},
		{"type glob on HA name script", "types=script_st?rted", []*hass.Event{script}},
		{"type glob", "types=automation_*,server:*", []*hass.Event{automated, custom}},
		{"type glob ?", "types=homeassistant_?tart", []*hass.Event{start}},
		{"type glob all", "types=*", all},

		{"entity", "entity_id=light.kitchen", []*hass.Event{light, lightAttrs}},
		{"entity list", "entity_id=light.kitchen,switch.coffee_maker", []*hass.Event{light, lightAttrs, coffee}},
		{"long entity list", "entity_id=a.a,b.b,c.c,d.d,e.e,f.f,g.g,z.z,switch.coffee_maker,light.kitchen", []*hass.Event{light, lightAttrs, coffee}},
		{"entity glob", "entity_id=sensor.kitchen_*", []*hass.Event{temp, tempAttrs}},
		{"entity glob suffix", "entity_id=*_motion,*door", []*hass.Event{motion, door}},
		{"entity glob all: events without entity fail", "entity_id=*", []*hass.Event{light, lightAttrs, hallLight, coffee, temp, tempAttrs, motion, door, serviceAB, serviceTarget, automated, script}},
		{"call_service entity list, second", "entity_id=light.b", []*hass.Event{serviceAB}},
		{"call_service entity list, first", "entity_id=light.a", []*hass.Event{serviceAB, serviceTarget}},
		{"call_service target", "entity_id=switch.b", []*hass.Event{serviceTarget}},
		{"call_service entity glob", "entity_id=switch.?", []*hass.Event{serviceTarget}},
		{"call_service and state events", "entity_id=light.*", []*hass.Event{light, lightAttrs, hallLight, serviceAB, serviceTarget}},

		{"domain", "domain=light", []*hass.Event{light, lightAttrs, hallLight, serviceAB}},
		{"domain of call_service is data.domain", "domain=homeassistant", []*hass.Event{serviceTarget, restart}},
		{"domain list", "domain=switch,binary_sensor", []*hass.Event{coffee, motion, door}},
		{"domain glob", "domain=*sensor", []*hass.Event{temp, tempAttrs, motion, door}},
		{"domain glob prefix", "domain=sensor*", []*hass.Event{temp, tempAttrs}},
		{"domain glob all: events without domain fail", "domain=*", []*hass.Event{light, lightAttrs, hallLight, coffee, temp, tempAttrs, motion, door, serviceAB, serviceTarget, restart, automated, script}},

		{"entity or domain", "entity_id=light.kitchen&domain=switch", []*hass.Event{light, lightAttrs, coffee}},
		{"entity glob or domain glob", "entity_id=*_motion&domain=sw*", []*hass.Event{coffee, motion}},
		{"type and entity", "events=state_changed&entity_id=light.a", nil},
		{"type and (entity or domain)", "events=state_changed,service_called&entity_id=light.b&domain=switch", []*hass.Event{coffee, serviceAB}},
		{"seed 2 example", "entity_id=light.living_room&domain=switch&events=state_changed,automation_triggered", []*hass.Event{coffee}},

		{"changes=state", "changes=state", []*hass.Event{light, hallLight, coffee, temp, motion, door, serviceAB, serviceTarget, restart, start, automated, script, custom}},
		{"changes=state with entity", "changes=state&entity_id=sensor.kitchen_temperature", []*hass.Event{temp}},

		{"device_class", "device_class=temperature", []*hass.Event{temp, tempAttrs}},
		{"device_class list", "device_class=motion,door", []*hass.Event{motion, door}},
		{"device_class and domain", "device_class=motion,temperature&domain=binary_sensor", []*hass.Event{motion}},
		{"device_class and changes", "device_class=temperature&changes=state", []*hass.Event{temp}},
		{"everything", "type=state&entity_id=sensor.*_temperature&domain=binary_sensor&device_class=temperature,door&changes=state", []*hass.Event{temp, door}},
	} {
		f, err := Parse(mustValues(t, tc.query))
		if err != nil {
			t.Fatalf("%s: Parse(%q): %v", tc.name, tc.query, err)
		}
		for _, ev := range all {
			want := false
			for _, p := range tc.pass {
				want = want || p == ev
			}
			if got := f.Match(ev); got != want {
				t.Errorf("%s: Parse(%q).Match(%s %v %s) = %t, want %t", tc.name, tc.query, ev.Type, ev.Entities, ev.Domain, got, want)
			}
		}
	}
}

func TestMatchNil(t *testing.T) {
	var f *Filter
	if !f.Match(stateEvent("light.kitchen", "", false)) {
		t.Error("(*Filter)(nil).Match(…) = false, want true")
	}
}

func BenchmarkMatch(b *testing.B) {
	many := "entity_id=" + list("light.l", MaxItems)
	for _, bc := range []struct {
		name, query string
		ev          *hass.Event
	}{
		{"none", "", stateEvent("light.kitchen", "", true)},
		{"type+entity", "events=state_changed&entity_id=light.kitchen,switch.coffee_maker", stateEvent("switch.coffee_maker", "", true)},
		{"entities=100", many, stateEvent("light.l099", "", true)},
		{"globs", "types=automation_*,service_*&entity_id=sensor.*_temperature&domain=*light", stateEvent("sensor.kitchen_temperature", "temperature", true)},
		{"call_service", "types=service_*&entity_id=light.e", serviceEvent("light", "light.a", "light.b", "light.c", "light.d", "light.e")},
		{"miss", "types=automation_*&entity_id=sensor.*_temperature&device_class=temperature&changes=state", stateEvent("sensor.kitchen_humidity", "humidity", false)},
	} {
		f, err := Parse(mustValues(b, bc.query))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(bc.ev)
			}
		})
	}
}

func TestMatchAreaAndLabel(t *testing.T) {
	kitchenLight := &hass.Event{Type: hass.TypeStateChanged, EntityID: "light.k", Domain: "light", Entities: []string{"light.k"},
		Area: "kitchen", AreaName: "Kitchen", Labels: []string{"evening", "security"}}
	hallLight := &hass.Event{Type: hass.TypeStateChanged, EntityID: "light.h", Domain: "light", Entities: []string{"light.h"},
		Area: "hallway", AreaName: "Hallway"}
	noArea := &hass.Event{Type: "homeassistant_start"}
	// A call to turn the ground floor's lights on, as hasse resolves it at ingest.
	floorCall := &hass.Event{Type: hass.TypeCallService, Domain: "light", Entities: []string{"light.k", "light.h"},
		Areas: []hass.AreaRef{{ID: "hallway", Name: "Hallway"}, {ID: "kitchen", Name: "Kitchen"}}, Labels: []string{"evening"}}
	for _, tc := range []struct {
		query string
		want  [4]bool // kitchenLight, hallLight, noArea, floorCall
	}{
		{"area=kitchen", [4]bool{true, false, false, true}},
		{"area=KITCHEN", [4]bool{true, false, false, true}}, // by name, case aside
		{"area=kitchen&domain=light", [4]bool{true, false, false, true}},
		{"area=kitchen,Hallway", [4]bool{true, true, false, true}},
		{"area=hallway", [4]bool{false, true, false, true}},
		{"area=garden", [4]bool{false, false, false, false}},
		{"label=security", [4]bool{true, false, false, false}},
		{"label=outdoor,evening", [4]bool{true, false, false, true}},
		{"label=security&area=hallway", [4]bool{false, false, false, false}},
	} {
		f, err := Parse(mustValues(t, tc.query))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.query, err)
		}
		for i, ev := range []*hass.Event{kitchenLight, hallLight, noArea, floorCall} {
			if got := f.Match(ev); got != tc.want[i] {
				t.Errorf("Parse(%q).Match(event %d) = %v, want %v", tc.query, i, got, tc.want[i])
			}
		}
	}
}
