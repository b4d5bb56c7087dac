package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
	"hasse/internal/ssetest"
)

// TestServiceTargetsReachFilters calls services that name their target by area, device, floor
// or label, or entity_id all, and checks which filtered streams each call reaches, through the
// whole gateway: the simulated Home Assistant, hasse's ingest, the hub's index and the filters.
// A call reaches a stream when it concerns one of its entities (through the registries) or one
// of its areas.
func TestServiceTargetsReachFilters(t *testing.T) {
	sim := simtest.Start(t, simulator.Config{Token: "targets", Seed: 1, Rate: -1})
	g := startGateway(t, "demo", nil, sim.URL, "targets")

	var gardenLight string
	for _, e := range sim.Registries().Entities {
		if e.EntityID == "light.garden" {
			gardenLight = e.DeviceID
		}
	}
	calls := []struct {
		domain, service string
		data            map[string]any
	}{
		{"light", "turn_on", map[string]any{"area_id": "kitchen"}},
		{"lock", "lock", map[string]any{"label_id": "security"}},
		{"cover", "close_cover", map[string]any{"floor_id": "first_floor"}},
		{"light", "turn_off", map[string]any{"entity_id": "all"}},
		{"light", "toggle", map[string]any{"device_id": []any{gardenLight}}},
	}
	streams := map[string]struct {
		query string
		want  []string // the calls it gets, as domain.service
	}{
		"the kitchen":          {"area=kitchen", []string{"light.turn_on", "lock.lock", "light.turn_off"}},
		"the kitchen light":    {"entity_id=light.kitchen", []string{"light.turn_on", "light.turn_off"}},
		"the front door lock":  {"entity_id=lock.front_door", []string{"lock.lock"}},
		"the garden":           {"area=garden", []string{"light.turn_off", "light.toggle"}},
		"the bedroom, by name": {"area=Bedroom", []string{"cover.close_cover", "light.turn_off"}},
		"the bedroom's lights": {"area=bedroom&domain=light", []string{"light.turn_off"}},
	}
	open := map[string]<-chan sse.Event{}
	for name, st := range streams {
		req, _ := http.NewRequest("GET", g.URL()+"/subscribe_events?events=call_service&"+st.query, nil)
		resp, events := ssetest.Open(t, req)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: GET ?%s: %s", name, st.query, resp.Status)
		}
		if ev := ssetest.Next(t, events); !json.Valid([]byte(ev.Data)) {
			t.Fatalf("%s: first event %q", name, ev.Data)
		}
		open[name] = events
	}
	for _, c := range calls {
		if err := sim.CallService(c.domain, c.service, c.data); err != nil {
			t.Fatalf("%s.%s %v: %v", c.domain, c.service, c.data, err)
		}
	}
	// Last, a call of one entity for each stream (which reached streams before any fix of
	// targets): when a stream has it, it has had every call it will get.
	for _, id := range []string{"light.kitchen", "lock.front_door", "light.garden", "light.bedroom"} {
		domain, _, _ := strings.Cut(id, ".")
		sim.FireEvent("call_service", map[string]any{"domain": domain, "service": "marker",
			"service_data": map[string]any{"entity_id": id}})
	}

	for name, st := range streams {
		var got []string
		for {
			var ev struct {
				Type string
				Data struct{ Domain, Service string }
			}
			if err := json.Unmarshal([]byte(ssetest.Next(t, open[name]).Data), &ev); err != nil || ev.Type != "service_called" {
				t.Fatalf("%s: event %+v, %v; want service_called", name, ev, err)
			}
			if ev.Data.Service == "marker" {
				break
			}
			got = append(got, ev.Data.Domain+"."+ev.Data.Service)
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s (?%s): calls (-want +got):\n%s", name, st.query, diff)
		}
	}
}
