package simulator

import (
	"context"
	"maps"
	"slices"
	"time"
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
// last_updated, last_reported and context). The changes follow the seed, and the report says
// what they are once Home Assistant has started.
//
// With Config.StartupTime 0, Home Assistant is running again when Restart returns: connections
// made after it see the new states. Otherwise it starts in stages, as a real one does (see
// [Simulator.RestartStaged]), each StartupTime/2 after the one before.
func (s *Simulator) Restart() RestartReport {
	var r RestartReport
	s.do(context.Background(), func(h *home) { r = h.restartAsConfigured() })
	return r
}

// restartAsConfigured restarts, in stages when Config.StartupTime says so.
func (h *home) restartAsConfigured() RestartReport {
	r := h.restart()
	if d := h.sim.cfg.StartupTime; d > 0 {
		h.beginStart(d / 2)
	}
	return r
}

// RestartStaged restarts Home Assistant as Restart does, but leaves it starting, as a real
// Home Assistant starts (HA-PROTOCOL.md §19), until [Simulator.ContinueStart] moves it on:
//
//   - When RestartStaged returns, the WebSocket API answers (HA's HTTP server starts long
//     before most integrations), get_config says "NOT_RUNNING", and only the entities of the
//     integrations that set up first are in the state machine (the sun, people, the Hue and
//     Shelly devices, …); the others are missing from get_states.
//   - The first ContinueStart is HA's start: get_config says "STARTING", core_config_updated and
//     homeassistant_start are fired, every entity of the entity registry that is not loaded yet
//     gets an "unavailable" placeholder state with the attribute restored: true, and the next
//     integrations load (Zigbee, climate, locks, …), their real states replacing the
//     placeholders.
//   - The second loads the rest (automations, scripts, cameras, media players); then get_config
//     says "RUNNING" and core_config_updated and homeassistant_started are fired.
//
// Every load and placeholder is a state_changed event. Activity steps wait until it has
// started. Its report is what Restart's would be.
func (s *Simulator) RestartStaged() RestartReport {
	var r RestartReport
	s.do(context.Background(), func(h *home) {
		r = h.restart()
		h.beginStart(0)
	})
	return r
}

// ContinueStart moves a start of RestartStaged (or of Restart with Config.StartupTime) on by one
// stage, and reports whether Home Assistant is running after it. It does nothing, and reports
// true, when Home Assistant is not starting.
func (s *Simulator) ContinueStart() (running bool) {
	running = true
	s.do(context.Background(), func(h *home) { running = h.continueStart() })
	return running
}

// CoreState is what get_config says of Home Assistant: "NOT_RUNNING" and "STARTING" during a
// staged start, "RUNNING" otherwise.
func (s *Simulator) CoreState() string {
	state := ""
	s.do(context.Background(), func(h *home) { state = h.coreState() })
	return state
}

func (h *home) restart() RestartReport {
	h.finishStartQuietly()
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

// startup is a staged start in progress: the entities the later stages load, the states they
// load with, and the timer that moves it on (nil when only ContinueStart does).
type startup struct {
	stage   int         // 0: NOT_RUNNING; 1: STARTING
	later   [2][]string // the entities loaded by stage 1 and by stage 2, sorted
	pending map[string]State
	every   time.Duration
	timer   *time.Timer
}

// startStages says when each integration's entities load, by the platform of their registry
// entry: 0 before the WebSocket API answers, 1 at HA's start, 2 just before it runs.
// Integrations not named load in stage 1.
var startStages = map[string]int{
	"sun": 0, "person": 0, "hue": 0, "shelly": 0, "homewizard": 0,
	"automation": 2, "script": 2, "reolink": 2, "sonos": 2, "webostv": 2,
}

// beginStart takes every entity whose integration is not set up yet out of the state machine,
// without events (no client is connected while HA is down), and holds its state for its stage.
// every > 0 moves the start on by itself, one stage each every.
func (h *home) beginStart(every time.Duration) {
	b := &startup{pending: make(map[string]State), every: every}
	for _, id := range h.sortedEntityIDs() {
		stage := 1
		if e := h.reg.entities[id]; e != nil {
			if s, ok := startStages[e.Platform]; ok {
				stage = s
			}
		}
		if stage == 0 {
			continue
		}
		b.later[stage-1] = append(b.later[stage-1], id)
		b.pending[id] = h.states[id]
		delete(h.states, id)
	}
	if every > 0 {
		b.timer = time.NewTimer(every)
	}
	h.boot = b
	h.log.Info("fault: starting in stages", "not_loaded", len(b.pending))
}

// startTimer is the channel of the timer that moves a start on; nil when there is none.
func (h *home) startTimer() <-chan time.Time {
	if h.boot == nil || h.boot.timer == nil {
		return nil
	}
	return h.boot.timer.C
}

func (h *home) coreState() string {
	switch {
	case h.boot == nil:
		return "RUNNING"
	case h.boot.stage == 0:
		return "NOT_RUNNING"
	default:
		return "STARTING"
	}
}

// continueStart moves a start on by one stage and reports whether HA is running after it.
func (h *home) continueStart() bool {
	b := h.boot
	if b == nil {
		return true
	}
	ctx := h.newContext("", "")
	if b.stage == 0 { // HA's async_start
		b.stage = 1
		h.fire("core_config_updated", map[string]any{}, ctx, h.now())
		h.fire("homeassistant_start", map[string]any{}, ctx, h.now())
		for _, id := range slices.Sorted(maps.Keys(b.pending)) {
			if e := h.reg.entities[id]; e != nil && e.DisabledBy == "" {
				h.load(id, "unavailable", placeholderAttrs(b.pending[id].Attributes), ctx)
			}
		}
		h.loadAll(b.later[0])
		if b.timer != nil {
			b.timer.Reset(b.every)
		}
		return false
	}
	h.loadAll(b.later[1])
	if b.timer != nil {
		b.timer.Stop()
	}
	h.boot = nil
	h.fire("core_config_updated", map[string]any{}, ctx, h.now())
	h.fire("homeassistant_started", map[string]any{}, ctx, h.now())
	h.log.Info("fault: started")
	return true
}

// loadAll writes the held states of ids, as their integration adds its entities.
func (h *home) loadAll(ids []string) {
	b := h.boot
	for _, id := range ids {
		st, ok := b.pending[id]
		if !ok {
			continue
		}
		delete(b.pending, id)
		if cur, ok := h.states[id]; ok && cur.Attributes["restored"] != true {
			continue // written meanwhile (a service call, a test): that state stands
		}
		h.load(id, st.State, st.Attributes, h.newContext("", ""))
	}
}

// finishStartQuietly ends a start in progress at once, without events: for a restart while
// starting, which cuts every connection off first.
func (h *home) finishStartQuietly() {
	b := h.boot
	if b == nil {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	for id, st := range b.pending {
		if cur, ok := h.states[id]; !ok || cur.Attributes["restored"] == true {
			h.states[id] = st
		}
	}
	h.boot = nil
}

// placeholderAttrs are the attributes of the placeholder state HA's entity registry writes at
// start for an entity whose integration has not loaded yet (RegistryEntry.write_unavailable_state):
// restored, and what the registry knows of it.
func placeholderAttrs(real map[string]any) map[string]any {
	attrs := map[string]any{"restored": true}
	for _, k := range []string{"device_class", "friendly_name", "icon", "supported_features", "unit_of_measurement"} {
		if v, ok := real[k]; ok {
			attrs[k] = cloneValue(v)
		}
	}
	return attrs
}

// load writes a state as an integration adding its entity does: a state_changed event (from the
// placeholder, or from nothing), and no automation runs on it.
func (h *home) load(id, state string, attrs map[string]any, ctx Context) {
	now := h.now()
	ns := State{EntityID: id, State: state, Attributes: attrs, LastChanged: now, LastReported: now, LastUpdated: now, Context: ctx}
	var prev *State
	if old, ok := h.states[id]; ok {
		prev = &old
	}
	h.states[id] = ns
	h.publish(&event{eventType: "state_changed", data: object{{"entity_id", id}, {"old_state", prev}, {"new_state", &ns}},
		ctx: ctx, at: now, origin: "LOCAL", change: &stateChange{entityID: id, old: prev, new: &ns}})
}
