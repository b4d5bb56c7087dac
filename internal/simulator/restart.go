package simulator

import (
	"context"
	"maps"
	"slices"
)

// RestartReport is what a Restart changed, by entity id, each list sorted.
type RestartReport struct {
	Changed []string // entities whose state or attributes differ after the restart
	Added   []string // entities that appeared
	Removed []string // entities that disappeared
}

// Restart restarts the simulated Home Assistant, as `ha core restart` does, within one turn of
// Run: every connection is closed (a WebSocket close frame with status 1000, then the socket;
// clients still authenticating are cut off), and while HA is "down" the home moves on with no
// one to see it: three sensors drift, a light is switched at the wall (and whatever automation
// that triggers runs), a Zigbee probe is unpaired and another paired (one entity disappears with
// its device and registry entry, one appears with its own), and at start cameras and media
// players get new access tokens and every state is written anew (new last_changed,
// last_updated, last_reported and context). Connections made after Restart returns see the new
// states. The changes follow the seed.
func (s *Simulator) Restart() RestartReport {
	var r RestartReport
	s.do(context.Background(), func(h *home) { r = h.restart() })
	return r
}

func (h *home) restart() RestartReport {
	before := maps.Clone(h.states)
	for c := range h.conns {
		h.cutOff(c)
		if !c.saidBye {
			close(c.bye) // the writer closes with 1000 once it runs
			c.saidBye = true
		}
		if !c.commands.Load() {
			c.cancel() // no writer yet to say goodbye
		}
	}
	h.restarts++
	h.log.Info("fault: restarting", "restarts", h.restarts)

	for range 3 {
		h.driftSensor()
	}
	var lights []string
	for id := range h.lights {
		lights = append(lights, id)
	}
	slices.Sort(lights)
	_ = h.callService("light", "toggle", map[string]any{"entity_id": h.pick(lights)}, h.newContext("", ""))
	h.swapProbe()

	for _, c := range h.spec.cameras {
		h.write(c.id, h.states[c.id].State, h.cameras[c.id].attrs(hexID(h.rng, 32)), h.newContext("", ""))
	}
	for _, id := range slices.Sorted(maps.Keys(h.media)) {
		m := h.media[id]
		m.token = hexID(h.rng, 32)
		pos, _ := number(h.states[id].Attributes["media_position"])
		h.writeMedia(m, h.states[id].State, int(pos), h.newContext("", ""))
	}
	boot := h.now()
	for _, id := range h.sortedEntityIDs() {
		st := h.states[id]
		st.LastChanged, st.LastUpdated, st.LastReported = boot, boot, boot
		st.Context = h.newContext("", "")
		h.states[id] = st
	}

	var r RestartReport
	for _, id := range h.sortedEntityIDs() {
		old, ok := before[id]
		switch {
		case !ok:
			r.Added = append(r.Added, id)
		case old.State != h.states[id].State || !equalValues(old.Attributes, h.states[id].Attributes):
			r.Changed = append(r.Changed, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(before)) {
		if _, ok := h.states[id]; !ok {
			r.Removed = append(r.Removed, id)
		}
	}
	return r
}

// probes are the two temperature probes a restart swaps: whichever is present is unpaired (its
// entity, registry entry and device go), the other paired.
func probes() [2]struct {
	entity entitySpec
	device deviceSpec
} {
	garage := builtinDevices()[slices.IndexFunc(builtinDevices(), func(d deviceSpec) bool { return d.key == "zha_garage_climate" })]
	garage.area = "garage"
	return [2]struct {
		entity entitySpec
		device deviceSpec
	}{
		{measurement("sensor.garage_temperature", "Garage temperature", "garage", "7.9", "°C", "temperature"), garage},
		{measurement("sensor.shed_temperature", "Shed temperature", "garden", "6.4", "°C", "temperature"),
			deviceSpec{key: "zha_shed_climate", name: "Shed temperature", manufacturer: "LUMI", model: "lumi.weather",
				integration: "zha", area: "garden", via: "zha_coordinator", link: "zigbee", entities: []string{"sensor.shed_temperature"}}},
	}
}

// swapProbe unpairs the probe that is present and pairs the other, firing the registry events
// HA fires (entity_registry_updated and device_registry_updated, create and remove).
func (h *home) swapProbe() {
	ps := probes()
	gone, come := ps[0], ps[1]
	if _, ok := h.states[gone.entity.id]; !ok {
		gone, come = come, gone
	}
	ctx := h.newContext("", "")
	if e := h.reg.entities[gone.entity.id]; e != nil {
		delete(h.reg.entities, gone.entity.id)
		h.fire("entity_registry_updated", object{{"action", "remove"}, {"entity_id", e.EntityID}}, ctx, h.now())
		if d := h.reg.device(e.DeviceID); d != nil {
			h.reg.devices = slices.DeleteFunc(h.reg.devices, func(x *DeviceEntry) bool { return x == d })
			h.fire("device_registry_updated", object{{"action", "remove"}, {"device_id", d.ID}, {"device", *d}}, ctx, h.now())
		}
	}
	h.remove(gone.entity.id)

	h.write(come.entity.id, come.entity.state, cloneValue(come.entity.attrs).(map[string]any), ctx)
	d := h.reg.addDevice(h, come.device, h.reg.ids, h.reg.configEntries)
	h.fire("device_registry_updated", object{{"action", "create"}, {"device_id", d.ID}}, ctx, h.now())
	h.fire("entity_registry_updated", object{{"action", "create"}, {"entity_id", come.entity.id}}, ctx, h.now())
}
