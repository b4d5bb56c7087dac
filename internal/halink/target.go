package halink

import (
	"slices"
	"strings"

	"hasse/internal/hass"
	"hasse/internal/hass/jsonscan"
)

// A call_service event's service_data may name its target by area, device, floor or label
// instead of entities, and entity_id may be "all" (HA-PROTOCOL.md §19). At ingest, once per
// event, hasse works out what such a call concerns, through the registries as Home Assistant's
// helpers/service.py does, so that entity, area and label filters (and the hub's index by
// entity) see it like any other event.

// serviceTarget is what a call's service_data (or its target) names besides entity ids.
type serviceTarget struct {
	all                            bool // entity_id: all
	areas, devices, floors, labels []string
}

func (t *serviceTarget) empty() bool {
	return !t.all && len(t.areas)+len(t.devices)+len(t.floors)+len(t.labels) == 0
}

// readTarget reads the target keys of a call_service event's data (compact, valid JSON), from
// service_data and from service_data.target.
func readTarget(data []byte) serviceTarget {
	var t serviceTarget
	m := jsonscan.Walk(data)
	for key, ok := m.Key(); ok; key, ok = m.Key() {
		if string(key) != "service_data" {
			continue
		}
		t.read(data, m.At())
		break
	}
	return t
}

// read reads the target keys of the object at b[i], and of its member target.
func (t *serviceTarget) read(b []byte, i int) {
	m := jsonscan.WalkAt(b, i)
	for key, ok := m.Key(); ok; key, ok = m.Key() {
		switch string(key) {
		case "entity_id":
			if v, _ := jsonscan.Unquote(m.Value()); strings.EqualFold(v, "all") {
				t.all = true
			}
		case "area_id":
			t.areas = appendIDs(t.areas, m.Value())
		case "device_id":
			t.devices = appendIDs(t.devices, m.Value())
		case "floor_id":
			t.floors = appendIDs(t.floors, m.Value())
		case "label_id":
			t.labels = appendIDs(t.labels, m.Value())
		case "target":
			t.read(b, m.At())
			m.SkipTo(jsonscan.Skip(b, m.At()))
		}
	}
}

// appendIDs appends the id or list of ids val to ids, leaving out "none" (HA's ENTITY_MATCH_NONE)
// and anything that is not a string.
func appendIDs(ids []string, val []byte) []string {
	add := func(v []byte) {
		if id, ok := jsonscan.Unquote(v); ok && id != "" && id != "none" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	jsonscan.EachOf(val, add)
	return ids
}

// resolveCall sets what call_service event ev concerns. Its entities are those it names, then,
// when its target names areas, devices, floors or labels (or entity_id: all), the entities those
// reach that the service acts on, as Home Assistant resolves them:
//   - a floor reaches its areas; a label the areas, devices and entities that carry it;
//   - an area reaches the entities with that area of their own and those without one of the
//     devices in it (a child device without an area is in its parent's); a device named reaches
//     all its entities, one reached by a label those without an area of their own;
//   - hidden, disabled, config and diagnostic entities are never reached this way;
//   - entity_id all reaches every entity seen of the service's domain or integration;
//   - of those, a service of a domain or integration that has entities (light.turn_on,
//     sonos.join) acts on its own only; any other (homeassistant.turn_off) on all of them.
//
// Its areas are those its target names (by area, floor or label), those of the devices it names
// and those of its entities; its labels those its target names and those of its entities. reg
// may be nil (no registries): then only entity_id all and the entities named count.
func resolveCall(ev *hass.Event, reg *registry, sn *seen) {
	t := readTarget(ev.Data)
	if t.empty() {
		if reg != nil && len(ev.Entities) > 1 {
			ev.Areas, ev.Labels = reg.placeAll(ev.Entities, nil, nil)
		}
		return
	}
	var reached []string
	if t.all {
		reached = sn.appendEntities(reached, ev.Domain)
	}
	var areas []string
	if reg != nil {
		if t.all {
			reached = append(reached, reg.platforms[ev.Domain]...)
		}
		var more []string
		more, areas = reg.reach(&t)
		if reg.hasEntities(ev.Domain, sn) {
			more = slices.DeleteFunc(more, func(id string) bool {
				return hass.DomainOf(id) != ev.Domain && reg.entities[id].platform != ev.Domain
			})
		}
		reached = append(reached, more...)
	}
	slices.Sort(reached)
	reached = slices.Compact(reached)
	entities := slices.Clip(ev.Entities)
	for _, id := range reached {
		if !slices.Contains(ev.Entities, id) {
			entities = append(entities, id)
		}
	}
	ev.Entities = entities
	if reg != nil {
		ev.Areas, ev.Labels = reg.placeAll(entities, areas, t.labels)
	}
}

// hasEntities reports whether domain is a domain or an integration with entities.
func (r *registry) hasEntities(domain string, sn *seen) bool {
	return len(sn.domains[domain]) > 0 || len(r.platforms[domain]) > 0
}

// reach returns the entities target t reaches through areas, devices, floors and labels (see
// resolveCall), and every area it concerns: those it names, reaches and the named devices' areas.
func (r *registry) reach(t *serviceTarget) (entities, areas []string) {
	areas = slices.Clone(t.areas)
	for _, f := range t.floors {
		areas = append(areas, r.floorAreas[f]...)
	}
	devices := slices.Clone(t.devices)
	for _, l := range t.labels {
		areas = append(areas, r.labelAreas[l]...)
		devices = append(devices, r.labelDevices[l]...)
		entities = append(entities, r.labelEntities[l]...)
	}
	slices.Sort(areas)
	areas = slices.Compact(areas)
	for _, a := range areas {
		entities = append(entities, r.areaEntities[a]...)
		for _, d := range r.areaDevices[a] {
			for _, id := range r.deviceEntities[d] {
				if r.entities[id].area == "" {
					entities = append(entities, id)
				}
			}
		}
	}
	for _, d := range devices {
		named := slices.Contains(t.devices, d)
		for _, id := range r.deviceEntities[d] {
			if named || r.entities[id].area == "" {
				entities = append(entities, id)
			}
		}
		if area := r.deviceArea(d); area != "" {
			areas = append(areas, area)
		}
	}
	return entities, areas
}

// placeAll returns, sorted, the areas (ids and names) of areas and of the entities, and the
// labels of labels and of the entities.
func (r *registry) placeAll(entities, areas, labels []string) ([]hass.AreaRef, []string) {
	areas, labels = slices.Clone(areas), slices.Clone(labels)
	for _, id := range entities {
		area, _, l := r.place(id)
		if area != "" {
			areas = append(areas, area)
		}
		labels = append(labels, l...)
	}
	slices.Sort(areas)
	slices.Sort(labels)
	var refs []hass.AreaRef
	for _, a := range slices.Compact(areas) {
		refs = append(refs, hass.AreaRef{ID: a, Name: r.areaNames[a]})
	}
	if labels = slices.Compact(labels); len(labels) == 0 {
		labels = nil
	}
	return refs, labels
}
